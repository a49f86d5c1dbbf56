import { describe, expect, it } from "vitest";
import { emptyForm, formFromTask, KEEP_REMINDER, taskFields, withCurrent, REPEATS } from "./taskForm";
import type { Task } from "./types";

const TODAY = "2026-12-02";

const task: Task = {
  id: 7,
  title: "Pay rent",
  description: null,
  completed: false,
  due_at: "2026-12-05T17:00:00+01:00",
  all_day: false,
  priority: "high",
  tags: ["home", "money"],
  recurrence: "FREQ=MONTHLY",
  recurrence_text: "every month",
  remind_at: "2026-12-05T16:30:00+01:00",
  remind_before: "PT30M",
};

describe("taskFields for a new task", () => {
  it("sends only what was filled in", () => {
    expect(taskFields({ ...emptyForm, title: "  Buy milk " }, TODAY)).toEqual({ ok: true, fields: { title: "Buy milk" } });
  });

  it("sends the date and time as wall-clock time and the tags normalised", () => {
    const form = { ...emptyForm, title: "Call mum", date: "2026-12-06", time: "09:30", tags: "#Family", priority: "low" as const };
    expect(taskFields(form, TODAY)).toEqual({
      ok: true,
      fields: { title: "Call mum", due_at: "2026-12-06T09:30", priority: "low", tags: ["family"] },
    });
  });

  it("makes a date alone an all-day task, and a time alone today", () => {
    const allDay = taskFields({ ...emptyForm, title: "A", date: "2026-12-24" }, TODAY);
    expect(allDay.ok && allDay.fields.due_at).toBe("2026-12-24");
    const timeOnly = taskFields({ ...emptyForm, title: "B", time: "18:00" }, TODAY);
    expect(timeOnly.ok && timeOnly.fields.due_at).toBe("2026-12-02T18:00");
  });

  it("refuses a missing title and a reminder with no due date, in words", () => {
    expect(taskFields({ ...emptyForm, title: "   " }, TODAY)).toEqual({ ok: false, message: "A task needs a title." });
    const r = taskFields({ ...emptyForm, title: "X", remind: "PT10M" }, TODAY);
    expect(r.ok).toBe(false);
  });
});

describe("taskFields for an edit", () => {
  it("reads the task's own local date and time back into the form", () => {
    const form = formFromTask(task);
    expect(form).toMatchObject({ date: "2026-12-05", time: "17:00", tags: "#home #money", remind: "PT30M" });
    expect(formFromTask({ ...task, all_day: true, due_at: "2026-12-05T00:00:00+01:00" }).time).toBe("");
  });

  it("sends nothing when nothing changed", () => {
    expect(taskFields(formFromTask(task), TODAY, task)).toEqual({ ok: true, fields: {} });
  });

  it("sends only the changed fields, and null to clear one", () => {
    const form = { ...formFromTask(task), time: "18:00", priority: "" as const, repeat: "" };
    expect(taskFields(form, TODAY, task)).toEqual({
      ok: true,
      fields: { due_at: "2026-12-05T18:00", priority: null, recurrence: null },
    });
  });

  it("keeps a fixed reminder set in chat unless another is chosen, and clears it on 'no reminder'", () => {
    const fixed = { ...task, remind_before: null };
    expect(formFromTask(fixed).remind).toBe(KEEP_REMINDER);
    expect(taskFields(formFromTask(fixed), TODAY, fixed)).toEqual({ ok: true, fields: {} });
    const cleared = taskFields({ ...formFromTask(fixed), remind: "" }, TODAY, fixed);
    expect(cleared).toEqual({ ok: true, fields: { remind_before: null, remind_at: null } });
  });
});

describe("withCurrent", () => {
  it("offers a rule set in chat beside the usual ones", () => {
    const options = withCurrent(REPEATS, "FREQ=WEEKLY;BYDAY=MO,TH", "every Monday and Thursday");
    expect(options.at(-1)).toEqual(["FREQ=WEEKLY;BYDAY=MO,TH", "every Monday and Thursday"]);
    expect(withCurrent(REPEATS, "FREQ=DAILY", "every day")).toBe(REPEATS);
  });
});
