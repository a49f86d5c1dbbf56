// Browser errors to Sentry through its own SDK (stack frames it can group, breadcrumbs, release and environment);
// the SDK is loaded only when a DSN is set, so a page without one never downloads it.

let started: Promise<void> | null = null;

export function installSentry(dsn: string, environment: string): Promise<void> {
  if (!dsn.trim() || typeof window === "undefined") return Promise.resolve();
  started ??= import("@sentry/browser")
    .then((Sentry) => {
      Sentry.init({
        dsn: dsn.trim(),
        environment,
        // Traces go through OpenTelemetry; Sentry gets errors only.
        tracesSampleRate: 0,
      });
    })
    .catch(() => undefined);
  return started;
}
