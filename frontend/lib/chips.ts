// Short labels for the tools the assistant called: "added: Buy milk", "listed 3 tasks".

import type { ToolCall } from "./types";

export interface Chip {
  label: string;
  tone: "ok" | "error";
}

function record(value: unknown): Record<string, unknown> {
  return value && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function failure(result: unknown): string | null {
  const r = record(result);
  if (r.isError === true || r.is_error === true) return typeof r.message === "string" ? r.message : "failed";
  if (typeof r.error === "string") return r.error;
  const err = record(r.error);
  if (typeof err.message === "string") return err.message;
  return null;
}

function subject(call: ToolCall): string {
  const r = record(call.result);
  const title = r.title ?? call.arguments.title;
  if (typeof title === "string" && title.trim()) return title.trim();
  const id = r.task_id ?? call.arguments.task_id;
  return id === undefined || id === null ? "a task" : `task ${String(id)}`;
}

function plural(n: number): string {
  return n === 1 ? "1 task" : `${n} tasks`;
}

const VERBS: Record<string, string> = {
  created: "added",
  completed: "completed",
  deleted: "deleted",
  updated: "updated",
};

export function chipFor(call: ToolCall): Chip {
  const failed = failure(call.result);
  if (failed !== null) return { label: `${call.name.replace(/_/g, " ")} failed: ${failed}`, tone: "error" };
  const r = record(call.result);
  switch (call.name) {
    case "list_tasks": {
      const tasks = Array.isArray(r.tasks) ? r.tasks.length : typeof r.count === "number" ? r.count : 0;
      return { label: tasks === 0 ? "listed no tasks" : `listed ${plural(tasks)}`, tone: "ok" };
    }
    case "add_task":
      return { label: `added: ${subject(call)}`, tone: "ok" };
    case "complete_task":
      return { label: `completed: ${subject(call)}`, tone: "ok" };
    case "delete_task":
      return { label: `deleted: ${subject(call)}`, tone: "ok" };
    case "update_task": {
      const verb = typeof r.status === "string" && VERBS[r.status] ? VERBS[r.status] : "updated";
      return { label: `${verb}: ${subject(call)}`, tone: "ok" };
    }
    default: {
      const verb = typeof r.status === "string" ? VERBS[r.status] : undefined;
      return { label: verb ? `${verb}: ${subject(call)}` : call.name.replace(/_/g, " "), tone: "ok" };
    }
  }
}

/** Tools whose effect changes the task list, so the panel should reload. */
export function changesTasks(call: ToolCall): boolean {
  return call.name !== "list_tasks";
}
