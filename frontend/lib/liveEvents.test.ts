import { describe, expect, it } from "vitest";
import { eventsUrl, liveEventFrom, reconnectDelay } from "./liveEvents";

describe("liveEventFrom", () => {
  it("reads a task change", () => {
    const data = JSON.stringify({ action: "deleted", task_ids: [4], summary: "Deleted task #4 'Buy milk'" });
    expect(liveEventFrom("tasks", data)).toEqual({
      kind: "tasks",
      action: "deleted",
      taskIds: [4],
      summary: "Deleted task #4 'Buy milk'",
    });
  });

  it("reads a reminder, late or not", () => {
    const data = JSON.stringify({ task_id: 9, title: "Call mum", due_at: "2026-12-02T18:00:00+00:00", late: true });
    expect(liveEventFrom("reminder", data)).toEqual({
      kind: "reminder",
      taskId: 9,
      title: "Call mum",
      dueAt: "2026-12-02T18:00:00+00:00",
      late: true,
    });
  });

  it("ignores what it does not understand", () => {
    expect(liveEventFrom("tasks", "not json")).toBeNull();
    expect(liveEventFrom("reminder", JSON.stringify({ title: "no id" }))).toBeNull();
    expect(liveEventFrom("weather", JSON.stringify({ sunny: true }))).toBeNull();
  });
});

describe("reconnectDelay", () => {
  it("doubles from one second up to thirty", () => {
    const none = () => 0;
    expect([0, 1, 2, 5, 10].map((a) => reconnectDelay(a, none))).toEqual([1000, 2000, 4000, 30000, 30000]);
    expect(reconnectDelay(0, () => 1)).toBe(1200);
  });
});

describe("eventsUrl", () => {
  it("resumes after the last event seen", () => {
    expect(eventsUrl("", null)).toBe("/api/v1/events");
    expect(eventsUrl("https://api.example.com", "41")).toBe("https://api.example.com/api/v1/events?after=41");
    expect(eventsUrl("", "x")).toBe("/api/v1/events");
  });
});
