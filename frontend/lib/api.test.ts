import { propagation, trace } from "@opentelemetry/api";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import {
  AlwaysOffSampler,
  BasicTracerProvider,
  InMemorySpanExporter,
  type Sampler,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-web";
import { afterEach, describe, expect, it } from "vitest";
import { ApiClient, browserTimeZone } from "./api";
import { ApiError } from "./errors";

/** Tracing on, as `installTracing` registers it, with spans kept in memory. */
function tracing(sampler?: Sampler): InMemorySpanExporter {
  const exporter = new InMemorySpanExporter();
  trace.setGlobalTracerProvider(new BasicTracerProvider({ sampler, spanProcessors: [new SimpleSpanProcessor(exporter)] }));
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  return exporter;
}

afterEach(() => {
  trace.disable();
  propagation.disable();
});

function parseTraceparent(value: string) {
  const m = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/.exec(value);
  return m ? { traceId: m[1], spanId: m[2], flags: m[3] } : null;
}

interface Seen {
  url: string;
  method: string;
  headers: Headers;
  credentials: RequestCredentials | undefined;
}

/** A scripted fetch: answers in order by URL suffix, records what it was asked. */
function scripted(routes: Record<string, Array<() => Response>>) {
  const seen: Seen[] = [];
  const fetchFn = async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = String(input);
    seen.push({ url, method: init?.method ?? "GET", headers: new Headers(init?.headers), credentials: init?.credentials });
    const key = Object.keys(routes).find((k) => url.endsWith(k));
    const next = key ? routes[key].shift() : undefined;
    if (!next) throw new Error(`unexpected request ${url}`);
    return next();
  };
  return { fetch: fetchFn as typeof fetch, seen };
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}) => () =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } });
const unauthorized = json(401, { error: { code: "unauthorized", message: "expired" } });

describe("ApiClient", () => {
  it("sends cookies and no trace header while tracing is off, against the configured base", async () => {
    const { fetch, seen } = scripted({ "/api/v1/auth/me": [json(200, { id: "u1", email: "a@b.c" })] });
    const api = new ApiClient({ base: "https://api.example.com", fetch });
    expect(await api.me()).toEqual({ id: "u1", email: "a@b.c" });
    expect(seen[0].url).toBe("https://api.example.com/api/v1/auth/me");
    expect(seen[0].credentials).toBe("include");
    expect(seen[0].headers.has("traceparent")).toBe(false);
  });

  it("makes each request a client span under the action's span, and sends its traceparent, sampled", async () => {
    const spans = tracing();
    const { fetch, seen } = scripted({ "/api/v1/tasks/12": [json(200, { id: 12 })] });
    await new ApiClient({ base: "", fetch }).updateTask(12, { title: "x" });
    const header = parseTraceparent(seen[0].headers.get("traceparent") ?? "");
    const [client, action] = spans.getFinishedSpans();
    expect([client.name, action.name]).toEqual(["PATCH /api/v1/tasks/{id}", "PATCH /api/v1/tasks/{id}"]);
    expect(client.parentSpanContext?.spanId).toBe(action.spanContext().spanId);
    expect(header).toEqual({ traceId: action.spanContext().traceId, spanId: client.spanContext().spanId, flags: "01" });
  });

  it("tells the server when an action was not sampled, so it does not sample it either", async () => {
    const spans = tracing(new AlwaysOffSampler());
    const { fetch, seen } = scripted({ "/api/v1/auth/me": [json(200, { id: "u1", email: "a@b.c" })] });
    await new ApiClient({ base: "", fetch }).me();
    expect(parseTraceparent(seen[0].headers.get("traceparent") ?? "")?.flags).toBe("00");
    expect(spans.getFinishedSpans()).toEqual([]);
  });

  it("refreshes once on 401 and retries the request in the same trace", async () => {
    tracing();
    const { fetch, seen } = scripted({
      "/api/v1/tasks?status=all&limit=200": [unauthorized, json(200, { items: [], total: 0, limit: 200, offset: 0 })],
      "/api/v1/auth/refresh": [json(200, {})],
    });
    let signedOut = 0;
    const api = new ApiClient({ base: "", fetch, onSignedOut: () => signedOut++ });
    expect((await api.listTasks()).total).toBe(0);
    expect(seen.map((s) => s.url)).toEqual([
      "/api/v1/tasks?status=all&limit=200",
      "/api/v1/auth/refresh",
      "/api/v1/tasks?status=all&limit=200",
    ]);
    const first = parseTraceparent(seen[0].headers.get("traceparent")!)!;
    const retry = parseTraceparent(seen[2].headers.get("traceparent")!)!;
    expect(retry.traceId).toBe(first.traceId);
    expect(retry.spanId).not.toBe(first.spanId);
    expect(signedOut).toBe(0);
  });

  it("signs out when the refresh fails, without retrying again", async () => {
    const { fetch, seen } = scripted({
      "/api/v1/auth/me": [unauthorized],
      "/api/v1/auth/refresh": [unauthorized],
    });
    let signedOut = 0;
    const api = new ApiClient({ base: "", fetch, onSignedOut: () => signedOut++ });
    const err = await api.me().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).kind).toBe("unauthorized");
    expect(seen).toHaveLength(2);
    expect(signedOut).toBe(1);
  });

  it("shares one refresh between requests that fail together", async () => {
    const { fetch, seen } = scripted({
      "/api/v1/auth/me": [unauthorized, json(200, { id: "u", email: "e" })],
      "/api/v1/conversations": [unauthorized, json(200, { items: [] })],
      "/api/v1/auth/refresh": [json(200, {})],
    });
    const api = new ApiClient({ base: "", fetch });
    await Promise.all([api.me(), api.conversations()]);
    expect(seen.filter((s) => s.url.endsWith("/refresh"))).toHaveLength(1);
  });

  it("does not refresh when signing in fails", async () => {
    const { fetch, seen } = scripted({ "/api/v1/auth/login": [unauthorized] });
    const api = new ApiClient({ base: "", fetch });
    await expect(api.login("a@b.c", "wrong")).rejects.toMatchObject({ kind: "unauthorized" });
    expect(seen).toHaveLength(1);
  });

  it("turns a 429 into a rate-limited error with its wait", async () => {
    const { fetch } = scripted({
      "/api/v1/chat": [json(429, { error: { code: "rate_limited", message: "x" } }, { "retry-after": "7" })],
    });
    const api = new ApiClient({ base: "", fetch });
    await expect(api.chat("hi")).rejects.toMatchObject({ kind: "rate_limited", retryAfterSeconds: 7 });
  });

  it("turns a failed connection into a network error", async () => {
    const api = new ApiClient({
      base: "",
      fetch: (async () => {
        throw new TypeError("Failed to fetch");
      }) as typeof fetch,
    });
    await expect(api.me()).rejects.toMatchObject({ kind: "network" });
  });

  it("streams chat events from the SSE body", async () => {
    const sse = [
      'event: delta\ndata: {"text":"Added "}\n\n',
      'event: tool_call\ndata: {"name":"add_task","arguments":{"title":"buy milk"},"result":{"task_id":1,"status":"created","title":"buy milk"}}\n\n',
      'event: done\ndata: {"conversation_id":"c1","response":"Added buy milk.","tool_calls":[]}\n\n',
    ].join("");
    const { fetch, seen } = scripted({
      "/api/v1/chat/stream": [() => new Response(sse, { status: 200, headers: { "content-type": "text/event-stream" } })],
    });
    const api = new ApiClient({ base: "", fetch });
    const types = [];
    for await (const e of api.chatStream("add a task to buy milk", "c0")) types.push(e.type);
    expect(types).toEqual(["delta", "tool_call", "done"]);
    expect(seen[0].headers.get("accept")).toBe("text/event-stream");
    expect(seen[0].method).toBe("POST");
  });
});

describe("signing up", () => {
  it("sends the browser's time zone", async () => {
    let sent: unknown;
    const fetchFn = (async (_input: RequestInfo | URL, init?: RequestInit) => {
      sent = JSON.parse(String(init?.body));
      return new Response(JSON.stringify({ id: "u1", email: "a@example.com", timezone: "Asia/Tokyo" }), {
        status: 201,
        headers: { "content-type": "application/json" },
      });
    }) as typeof fetch;
    const api = new ApiClient({ base: "", fetch: fetchFn });
    await api.register("a@example.com", "correct horse battery", "Asia/Tokyo");
    expect(sent).toEqual({ email: "a@example.com", password: "correct horse battery", timezone: "Asia/Tokyo" });
    expect(browserTimeZone()).toMatch(/^[A-Za-z_]+(\/[A-Za-z_+-]+)*$/);
  });
});
