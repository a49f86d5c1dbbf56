// A small Sentry reporter for uncaught browser errors (the envelope endpoint, no SDK: keeps the bundle lean).

import { randomId } from "./traceparent";

export interface Dsn {
  envelopeUrl: string;
  dsn: string;
}

/** `https://KEY@HOST[/PATH]/PROJECT` -> the project's envelope URL; null when the DSN is malformed. */
export function parseDsn(dsn: string): Dsn | null {
  let url: URL;
  try {
    url = new URL(dsn.trim());
  } catch {
    return null;
  }
  const key = url.username;
  const parts = url.pathname.split("/").filter(Boolean);
  const project = parts.pop();
  if (!key || !project || !/^\d+$/.test(project)) return null;
  const prefix = parts.length ? `/${parts.join("/")}` : "";
  const envelopeUrl = `${url.protocol}//${url.host}${prefix}/api/${project}/envelope/?sentry_key=${encodeURIComponent(key)}&sentry_version=7`;
  return { envelopeUrl, dsn: dsn.trim() };
}

export interface ErrorReport {
  error: unknown;
  environment: string;
  url: string;
  now?: Date;
  eventId?: string;
}

/** The envelope text for one error event. */
export function envelopeFor(dsn: Dsn, report: ErrorReport): string {
  const now = report.now ?? new Date();
  const eventId = report.eventId ?? randomId(16);
  const err = report.error instanceof Error ? report.error : new Error(String(report.error));
  const event = {
    event_id: eventId,
    timestamp: now.getTime() / 1000,
    platform: "javascript",
    level: "error",
    environment: report.environment,
    request: { url: report.url },
    exception: { values: [{ type: err.name || "Error", value: err.message }] },
    extra: { stack: err.stack ?? "" },
  };
  const header = { event_id: eventId, sent_at: now.toISOString(), dsn: dsn.dsn };
  return [JSON.stringify(header), JSON.stringify({ type: "event" }), JSON.stringify(event)].join("\n");
}

/** Report uncaught errors and unhandled rejections to Sentry when a DSN is configured. */
export function installSentry(dsnText: string, environment: string): () => void {
  const dsn = dsnText ? parseDsn(dsnText) : null;
  if (!dsn || typeof window === "undefined") return () => undefined;
  const send = (error: unknown) => {
    const body = envelopeFor(dsn, { error, environment, url: window.location.href });
    void fetch(dsn.envelopeUrl, { method: "POST", body, keepalive: true }).catch(() => undefined);
  };
  const onError = (e: ErrorEvent) => send(e.error ?? e.message);
  const onRejection = (e: PromiseRejectionEvent) => send(e.reason);
  window.addEventListener("error", onError);
  window.addEventListener("unhandledrejection", onRejection);
  return () => {
    window.removeEventListener("error", onError);
    window.removeEventListener("unhandledrejection", onRejection);
  };
}
