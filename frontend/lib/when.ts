// Dates as a person reads them, in their own time zone: "Today 17:00", "Tomorrow", "Fri 5 Dec", "3 Jan 2027".

/** YYYY-MM-DD of `moment` in `timeZone`. */
export function localDate(moment: Date, timeZone: string): string {
  // en-CA formats dates as YYYY-MM-DD.
  return new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" }).format(
    moment,
  );
}

function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);
}

/** A short label for a due date or reminder; `locale` is the browser's unless a test names one. */
export function whenLabel(
  iso: string,
  options: { timeZone: string; now: Date; allDay?: boolean; locale?: string },
): string {
  const { timeZone, now, allDay = false, locale } = options;
  const moment = new Date(iso);
  if (Number.isNaN(moment.getTime())) return iso;
  const day = localDate(moment, timeZone);
  const offset = daysBetween(localDate(now, timeZone), day);
  let dayText: string;
  if (offset === 0) dayText = "Today";
  else if (offset === 1) dayText = "Tomorrow";
  else if (offset === -1) dayText = "Yesterday";
  else {
    const sameYear = day.slice(0, 4) === localDate(now, timeZone).slice(0, 4);
    const near = offset > 1 && offset < 7;
    dayText = new Intl.DateTimeFormat(locale, {
      timeZone,
      weekday: near || (sameYear && Math.abs(offset) < 60) ? "short" : undefined,
      day: near ? undefined : "numeric",
      month: near ? undefined : "short",
      year: sameYear ? undefined : "numeric",
    }).format(moment);
  }
  if (allDay) return dayText;
  const time = new Intl.DateTimeFormat(locale, { timeZone, hour: "2-digit", minute: "2-digit" }).format(moment);
  return `${dayText} ${time}`;
}

/** Every IANA zone the browser knows, plus `current` and UTC, UTC first. */
export function timeZones(current: string): string[] {
  let zones: string[] = [];
  try {
    zones = Intl.supportedValuesOf("timeZone");
  } catch {
    // Older browsers: the person's own zone and UTC are still offered.
  }
  return [...new Set([current, "UTC", ...zones])].sort((a, b) => (a === "UTC" ? -1 : b === "UTC" ? 1 : a.localeCompare(b)));
}
