// The signed-in person's event stream (`GET /api/v1/events`): what changed in another tab, and reminders.

export interface TasksChanged {
  kind: "tasks";
  action: string;
  taskIds: number[];
  summary: string;
}

export interface Reminder {
  kind: "reminder";
  taskId: number;
  title: string;
  dueAt: string | null;
  late: boolean;
}

export type LiveEvent = TasksChanged | Reminder;

function record(data: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(data);
    return value && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** One stream event as the page uses it; null for anything it does not understand. */
export function liveEventFrom(type: string, data: string): LiveEvent | null {
  const body = record(data);
  if (!body) return null;
  if (type === "tasks") {
    const ids = Array.isArray(body.task_ids) ? body.task_ids.filter((i): i is number => typeof i === "number") : [];
    return {
      kind: "tasks",
      action: typeof body.action === "string" ? body.action : "updated",
      taskIds: ids,
      summary: typeof body.summary === "string" ? body.summary : "",
    };
  }
  if (type === "reminder" && typeof body.task_id === "number") {
    return {
      kind: "reminder",
      taskId: body.task_id,
      title: typeof body.title === "string" ? body.title : `Task ${body.task_id}`,
      dueAt: typeof body.due_at === "string" ? body.due_at : null,
      late: body.late === true,
    };
  }
  return null;
}

/** Milliseconds before reconnect attempt `attempt` (0-based): 1 s doubling to 30 s, with up to 20% jitter. */
export function reconnectDelay(attempt: number, random: () => number = Math.random): number {
  const base = Math.min(30_000, 1000 * 2 ** Math.max(0, attempt));
  return Math.round(base * (1 + 0.2 * random()));
}

/** The stream's address, resuming after the last event seen (a new EventSource forgets Last-Event-ID). */
export function eventsUrl(base: string, lastEventId: string | null): string {
  const path = `${base}/api/v1/events`;
  return lastEventId && /^\d+$/.test(lastEventId) ? `${path}?after=${lastEventId}` : path;
}
