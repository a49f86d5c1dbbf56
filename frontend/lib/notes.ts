// What the page says after a change, in a person's words: the text of the Undo and reminder notes.

import type { Task, UndoResult } from "./types";
import { whenLabel } from "./when";

export type Change = "added" | "saved" | "completed" | "reopened" | "deleted";

interface Clock {
  timeZone: string;
  now: Date;
  locale?: string;
}

function due(task: Task, clock: Clock): string {
  return task.due_at ? whenLabel(task.due_at, { ...clock, allDay: task.all_day }) : "";
}

/** "Added “Buy milk”, due Tomorrow 17:00." and the like; a repeating task that was ticked off says what is next. */
export function changeNote(change: Change, task: Task, clock: Clock): string {
  const title = `“${task.title}”`;
  const when = due(task, clock);
  switch (change) {
    case "added":
      return when ? `Added ${title}, due ${when}.` : `Added ${title}.`;
    case "saved":
      return `Saved ${title}.`;
    case "completed":
      // Completing a repeating task moves it to its next occurrence and leaves it open.
      return !task.completed && task.recurrence && when ? `Done for now: ${title} is next due ${when}.` : `Completed ${title}.`;
    case "reopened":
      return `Reopened ${title}.`;
    case "deleted":
      return `Deleted ${title}.`;
  }
}

/** What an undo put back: the server names the change it took back. */
export function undoneNote(result: UndoResult): string {
  const [first] = result.tasks;
  if (result.action === "created") return `Undone: ${result.summary.replace(/^Added /, "removed ")}.`;
  if (result.action === "deleted" && first) return `Restored “${first.title}”.`;
  return `Undone: ${result.summary.charAt(0).toLowerCase()}${result.summary.slice(1)}.`;
}

export function reminderNote(title: string, dueAt: string | null, late: boolean, clock: Clock): string {
  const when = dueAt ? `, due ${whenLabel(dueAt, clock)}` : "";
  return `Reminder: “${title}”${when}${late ? " (sent late: the reminder service was away)" : ""}`;
}
