// Maintenance windows from GET /api/v1/maintenance: which one the banner announces, and how it reads.

export type WindowStatus = "active" | "announced" | "scheduled";

export interface MaintenanceWindow {
  start: string; // ISO 8601, UTC
  end: string;
  reason: string;
  status: WindowStatus;
}

export interface MaintenanceState {
  now: string;
  notice_seconds: number;
  windows: MaintenanceWindow[];
}

/** The window the banner shows: an open one first, else one starting within the notice; none otherwise. */
export function noticeFor(state: MaintenanceState, dismissed: ReadonlySet<string> = new Set()): MaintenanceWindow | null {
  const shown = state.windows.filter((w) => w.status !== "scheduled" && !dismissed.has(dismissKey(w)));
  return shown.find((w) => w.status === "active") ?? shown[0] ?? null;
}

/** Dismissing hides this window only: the next one is announced again. */
export function dismissKey(window: MaintenanceWindow): string {
  return `${window.start}/${window.end}`;
}

interface FormatOptions {
  timeZone?: string;
  locale?: string;
}

/** "Sun 6 Dec, 02:00–04:00" in the person's zone (a window across midnight names both days). */
export function windowLabel(window: MaintenanceWindow, options: FormatOptions = {}): string {
  const { timeZone, locale } = options;
  const day = new Intl.DateTimeFormat(locale, { weekday: "short", day: "numeric", month: "short", timeZone });
  const clock = new Intl.DateTimeFormat(locale, { hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone });
  const start = new Date(window.start);
  const end = new Date(window.end);
  const sameDay = day.format(start) === day.format(new Date(end.getTime() - 1));
  const endText = sameDay ? clock.format(end) : `${day.format(end)}, ${clock.format(end)}`;
  return `${day.format(start)}, ${clock.format(start)}–${endText}`;
}

/** The banner's headline. */
export function noticeTitle(window: MaintenanceWindow): string {
  return window.status === "active" ? "Maintenance in progress" : "Scheduled maintenance";
}
