import { describe, expect, it } from "vitest";
import { dismissKey, type MaintenanceState, type MaintenanceWindow, noticeFor, noticeTitle, windowLabel } from "./maintenance";

const win = (start: string, end: string, status: MaintenanceWindow["status"]): MaintenanceWindow => ({
  start,
  end,
  reason: "Security patching",
  status,
});
const state = (...windows: MaintenanceWindow[]): MaintenanceState => ({
  now: "2026-12-04T12:00:00Z",
  notice_seconds: 172800,
  windows,
});
const sunday = win("2026-12-06T02:00:00Z", "2026-12-06T04:00:00Z", "announced");
const later = win("2026-12-20T02:00:00Z", "2026-12-20T04:00:00Z", "scheduled");

describe("noticeFor", () => {
  it("announces a window starting within the notice", () => {
    expect(noticeFor(state(sunday, later))).toEqual(sunday);
  });

  it("shows nothing when every window is further away than the notice", () => {
    expect(noticeFor(state(later))).toBeNull();
  });

  it("prefers an open window to an announced one", () => {
    const open = win("2026-12-04T11:00:00Z", "2026-12-04T13:00:00Z", "active");
    expect(noticeFor(state(sunday, open))).toEqual(open);
  });

  it("keeps a dismissed window hidden but shows the next announced one", () => {
    const open = win("2026-12-04T11:00:00Z", "2026-12-04T13:00:00Z", "active");
    expect(noticeFor(state(open, sunday), new Set([dismissKey(open)]))).toEqual(sunday);
    expect(noticeFor(state(sunday), new Set([dismissKey(sunday)]))).toBeNull();
  });
});

describe("windowLabel", () => {
  it("reads the window in the person's own zone", () => {
    expect(windowLabel(sunday, { timeZone: "UTC", locale: "en-GB" })).toBe("Sun 6 Dec, 02:00–04:00");
    expect(windowLabel(sunday, { timeZone: "Europe/Berlin", locale: "en-GB" })).toBe("Sun 6 Dec, 03:00–05:00");
  });

  it("names both days of a window across midnight", () => {
    const overnight = win("2026-12-24T22:00:00Z", "2026-12-25T01:00:00Z", "announced");
    expect(windowLabel(overnight, { timeZone: "UTC", locale: "en-GB" })).toBe("Thu 24 Dec, 22:00–Fri 25 Dec, 01:00");
  });

  it("ends a window at midnight on its own day", () => {
    const evening = win("2026-12-24T22:00:00Z", "2026-12-25T00:00:00Z", "announced");
    expect(windowLabel(evening, { timeZone: "UTC", locale: "en-GB" })).toBe("Thu 24 Dec, 22:00–00:00");
  });
});

describe("noticeTitle", () => {
  it("says whether maintenance is under way or coming", () => {
    expect(noticeTitle(win("a", "b", "active"))).toBe("Maintenance in progress");
    expect(noticeTitle(sunday)).toBe("Scheduled maintenance");
  });
});
