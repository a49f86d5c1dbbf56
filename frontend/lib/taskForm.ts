// The add/edit form's fields, and the request body they make. The server reads a date-time without an offset in
// the person's own time zone, so the form sends wall-clock values as typed and never converts them here.

import { parseTags } from "./taskQuery";
import type { Priority, Task, TaskFields } from "./types";

export interface TaskForm {
  title: string;
  description: string;
  /** YYYY-MM-DD or "" */
  date: string;
  /** HH:MM or "" (all day) */
  time: string;
  priority: Priority | "";
  tags: string;
  /** An RRULE or "" */
  repeat: string;
  /** A `remind_before` rule, KEEP_REMINDER, or "" */
  remind: string;
}

/** The task's own reminder at a fixed moment (set in chat): left as it is unless the person picks another. */
export const KEEP_REMINDER = "keep";

export const PRIORITIES: ReadonlyArray<readonly [Priority | "", string]> = [
  ["", "No priority"],
  ["low", "Low"],
  ["medium", "Medium"],
  ["high", "High"],
  ["urgent", "Urgent"],
];

export const REPEATS: ReadonlyArray<readonly [string, string]> = [
  ["", "Doesn't repeat"],
  ["FREQ=DAILY", "Every day"],
  ["FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", "Every weekday"],
  ["FREQ=WEEKLY", "Every week"],
  ["FREQ=MONTHLY", "Every month"],
  ["FREQ=YEARLY", "Every year"],
];

export const REMINDERS: ReadonlyArray<readonly [string, string]> = [
  ["", "No reminder"],
  ["PT0M", "At the due time"],
  ["PT10M", "10 minutes before"],
  ["PT30M", "30 minutes before"],
  ["PT1H", "1 hour before"],
  ["P1D", "1 day before"],
  ["evening_before", "The evening before (18:00)"],
];

export const emptyForm: TaskForm = {
  title: "",
  description: "",
  date: "",
  time: "",
  priority: "",
  tags: "",
  repeat: "",
  remind: "",
};

/** The form filled in from a task as the server gave it (its `due_at` is already in the person's zone). */
export function formFromTask(task: Task): TaskForm {
  const due = task.due_at ?? "";
  return {
    title: task.title,
    description: task.description ?? "",
    date: due.slice(0, 10),
    time: due && !task.all_day ? due.slice(11, 16) : "",
    priority: task.priority ?? "",
    tags: (task.tags ?? []).map((t) => `#${t}`).join(" "),
    repeat: task.recurrence ?? "",
    remind: task.remind_before ?? (task.remind_at ? KEEP_REMINDER : ""),
  };
}

/** Options for a select, with the task's own value added when it is not one of the usual ones. */
export function withCurrent(
  options: ReadonlyArray<readonly [string, string]>,
  value: string,
  label: string,
): ReadonlyArray<readonly [string, string]> {
  return value && !options.some(([v]) => v === value) ? [...options, [value, label]] : options;
}

export type FormResult = { ok: true; fields: TaskFields } | { ok: false; message: string };

function dueValue(form: TaskForm, today: string): string | null {
  if (!form.date && !form.time) return null;
  const date = form.date || today;
  return form.time ? `${date}T${form.time}` : date;
}

function wanted(form: TaskForm, today: string): TaskFields {
  const description = form.description.trim();
  return {
    title: form.title.trim(),
    description: description || null,
    due_at: dueValue(form, today),
    priority: form.priority || null,
    tags: parseTags(form.tags),
    recurrence: form.repeat || null,
    remind_before: form.remind && form.remind !== KEEP_REMINDER ? form.remind : null,
  };
}

/**
 * The body for a create (`original` absent) or an update (only what changed).
 * `today` is the person's local date, used when only a time is given.
 */
export function taskFields(form: TaskForm, today: string, original?: Task): FormResult {
  const next = wanted(form, today);
  if (!next.title) return { ok: false, message: "A task needs a title." };
  if (next.remind_before && !next.due_at) {
    return { ok: false, message: "A reminder before the due time needs a due date: pick one, or no reminder." };
  }
  if (!original) {
    const fields: TaskFields = { title: next.title };
    for (const key of ["description", "due_at", "priority", "recurrence", "remind_before"] as const) {
      if (next[key]) (fields as Record<string, unknown>)[key] = next[key];
    }
    if (next.tags?.length) fields.tags = next.tags;
    return { ok: true, fields };
  }
  const before = wanted(formFromTask(original), today);
  const fields: TaskFields = {};
  for (const key of ["title", "description", "due_at", "priority", "recurrence"] as const) {
    if (next[key] !== before[key]) (fields as Record<string, unknown>)[key] = next[key];
  }
  if (JSON.stringify(next.tags) !== JSON.stringify(before.tags)) fields.tags = next.tags;
  if (form.remind !== formFromTask(original).remind) {
    // Choosing "no reminder" clears both the rule and a fixed moment set in chat.
    fields.remind_before = next.remind_before;
    if (!next.remind_before) fields.remind_at = null;
  }
  return { ok: true, fields };
}
