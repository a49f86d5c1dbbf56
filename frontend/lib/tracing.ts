// Browser tracing with the OpenTelemetry web SDK: each action the page takes is a span, each HTTP attempt a client
// span under it, and the W3C `traceparent` carries the sampling decision to the server, which honours it. With no
// exporter endpoint configured, or a ratio of 0, nothing is loaded and no header is sent.

import { context, propagation, type Span, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import type { PublicConfig } from "./config";

export interface TracingSettings {
  /** OTLP/HTTP traces URL (the collector's `/v1/traces`). */
  endpoint: string;
  ratio: number;
  serviceName: string;
  environment: string;
}

/** The settings to trace with, or null when tracing is off (no endpoint, or nothing would be sampled). */
export function tracingSettings(cfg: Pick<PublicConfig, "otelEndpoint" | "otelRatio" | "appEnv">): TracingSettings | null {
  const endpoint = cfg.otelEndpoint.trim();
  const ratio = Number(cfg.otelRatio);
  if (!endpoint || !Number.isFinite(ratio) || ratio <= 0) return null;
  return { endpoint, ratio: Math.min(1, ratio), serviceName: "todochat-web", environment: cfg.appEnv };
}

let installed: Promise<void> | null = null;

/** Register the web SDK once; its modules load only when tracing is on, so the first page load stays small. */
export function installTracing(settings: TracingSettings | null): Promise<void> {
  if (!settings || typeof window === "undefined") return Promise.resolve();
  installed ??= (async () => {
    const [web, { OTLPTraceExporter }, { resourceFromAttributes }] = await Promise.all([
      import("@opentelemetry/sdk-trace-web"),
      import("@opentelemetry/exporter-trace-otlp-proto"),
      import("@opentelemetry/resources"),
    ]);
    const provider = new web.WebTracerProvider({
      resource: resourceFromAttributes({
        "service.name": settings.serviceName,
        "deployment.environment.name": settings.environment,
      }),
      sampler: new web.ParentBasedSampler({ root: new web.TraceIdRatioBasedSampler(settings.ratio) }),
      spanProcessors: [new web.BatchSpanProcessor(new OTLPTraceExporter({ url: settings.endpoint }))],
    });
    // register() installs the W3C trace-context propagator, which writes `traceparent` with the sampled flag.
    provider.register();
    // A closing tab still sends what it has.
    window.addEventListener("pagehide", () => void provider.forceFlush());
  })().catch(() => undefined);
  return installed;
}

const tracer = () => trace.getTracer("todochat-web");

/** "/api/v1/tasks/12?x=1" -> "/api/v1/tasks/{id}": span names stay few, whatever the ids. */
export function routeOf(path: string): string {
  return path
    .split("?")[0]
    .replace(/\/\d+(?=\/|$)/g, "/{id}")
    .replace(/\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(?=\/|$)/gi, "/{id}");
}

/** One person's action (a request and its retry after a refresh): the root of its trace. */
export interface Action {
  span: Span;
  /** Run one HTTP attempt as a client span of this action, with its trace headers in `headers`. */
  attempt<T>(method: string, path: string, headers: Headers, send: () => Promise<T>): Promise<T>;
  end(error?: unknown): void;
}

export function startAction(method: string, path: string): Action {
  const span = tracer().startSpan(`${method} ${routeOf(path)}`, { kind: SpanKind.INTERNAL });
  const parent = trace.setSpan(context.active(), span);
  return {
    span,
    async attempt(attemptMethod, attemptPath, headers, send) {
      const client = tracer().startSpan(
        `${attemptMethod} ${routeOf(attemptPath)}`,
        { kind: SpanKind.CLIENT, attributes: { "http.request.method": attemptMethod, "url.path": routeOf(attemptPath) } },
        parent,
      );
      propagation.inject(trace.setSpan(parent, client), headers, {
        set: (carrier, key, value) => carrier.set(key, value),
      });
      try {
        const result = await send();
        if (result instanceof Response) {
          client.setAttribute("http.response.status_code", result.status);
          if (result.status >= 500) client.setStatus({ code: SpanStatusCode.ERROR });
        }
        return result;
      } catch (err) {
        client.setStatus({ code: SpanStatusCode.ERROR, message: String(err) });
        throw err;
      } finally {
        client.end();
      }
    },
    end(error) {
      if (error !== undefined) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    },
  };
}
