import { describe, expect, it } from "vitest";
import { localDate, timeZones, whenLabel } from "./when";

const now = new Date("2026-12-02T22:30:00Z"); // Wednesday evening in London, already Thursday in Tokyo
const opts = (timeZone: string, allDay = false) => ({ timeZone, now, allDay, locale: "en-GB" });

describe("whenLabel", () => {
  it("names today and tomorrow in the person's own zone", () => {
    expect(whenLabel("2026-12-02T23:00:00Z", opts("Europe/London"))).toBe("Today 23:00");
    expect(whenLabel("2026-12-02T23:00:00Z", opts("Asia/Tokyo"))).toBe("Today 08:00");
    expect(whenLabel("2026-12-03T09:00:00+00:00", opts("Europe/London"))).toBe("Tomorrow 09:00");
  });

  it("shows an all-day task's day without a time", () => {
    expect(whenLabel("2026-12-01T00:00:00+00:00", opts("Europe/London", true))).toBe("Yesterday");
  });

  it("names the weekday within a week, the date beyond, and the year when it differs", () => {
    expect(whenLabel("2026-12-05T12:00:00Z", opts("UTC", true))).toBe("Sat");
    expect(whenLabel("2026-12-24T12:00:00Z", opts("UTC", true))).toBe("Thu 24 Dec");
    expect(whenLabel("2027-03-01T12:00:00Z", opts("UTC", true))).toBe("1 Mar 2027");
  });

  it("gives back what it cannot read", () => {
    expect(whenLabel("someday", opts("UTC"))).toBe("someday");
  });
});

describe("localDate", () => {
  it("is the calendar day where the person is", () => {
    expect(localDate(now, "Asia/Tokyo")).toBe("2026-12-03");
    expect(localDate(now, "America/New_York")).toBe("2026-12-02");
  });
});

describe("timeZones", () => {
  it("lists UTC first and always includes the person's zone", () => {
    const zones = timeZones("Mars/Olympus");
    expect(zones[0]).toBe("UTC");
    expect(zones).toContain("Mars/Olympus");
    expect(zones).toContain("Europe/Berlin");
  });
});
