import { describe, expect, it } from "vitest";
import { changeNote, reminderNote, undoneNote } from "./notes";
import type { Task } from "./types";

const clock = { timeZone: "UTC", now: new Date("2026-12-02T10:00:00Z"), locale: "en-GB" };
const milk: Task = { id: 4, title: "Buy milk", description: null, completed: false, due_at: null };

describe("changeNote", () => {
  it("says what was added and when it is due", () => {
    expect(changeNote("added", milk, clock)).toBe("Added “Buy milk”.");
    const dated = { ...milk, due_at: "2026-12-03T17:00:00+00:00", all_day: false };
    expect(changeNote("added", dated, clock)).toMatch(/^Added “Buy milk”, due Tomorrow 17:00\.$/);
  });

  it("tells a repeating task's next date when it is ticked off", () => {
    const weekly = { ...milk, recurrence: "FREQ=WEEKLY", due_at: "2026-12-09T00:00:00+00:00", all_day: true };
    expect(changeNote("completed", weekly, clock)).toBe("Done for now: “Buy milk” is next due Wed 9 Dec.");
    expect(changeNote("completed", { ...milk, completed: true }, clock)).toBe("Completed “Buy milk”.");
  });
});

describe("undoneNote", () => {
  it("names a restored task", () => {
    expect(undoneNote({ status: "undone", action: "deleted", summary: "Deleted task #4 'Buy milk'", tasks: [milk] })).toBe(
      "Restored “Buy milk”.",
    );
  });

  it("says an add was taken back", () => {
    expect(undoneNote({ status: "undone", action: "created", summary: "Added task #4 'Buy milk'", tasks: [] })).toBe(
      "Undone: removed task #4 'Buy milk'.",
    );
  });

  it("falls back to the server's summary", () => {
    expect(undoneNote({ status: "undone", action: "updated", summary: "Updated task #4 'Buy milk'", tasks: [milk] })).toBe(
      "Undone: updated task #4 'Buy milk'.",
    );
  });
});

describe("reminderNote", () => {
  it("says what is due and when, and owns up to lateness", () => {
    expect(reminderNote("Call mum", "2026-12-02T10:30:00Z", false, clock)).toMatch(/^Reminder: “Call mum”, due Today 10:30$/);
    expect(reminderNote("Call mum", null, true, clock)).toContain("sent late");
  });
});
