import { describe, expect, it } from "vitest";
import { envelopeFor, parseDsn } from "./sentry";

describe("parseDsn", () => {
  it("builds the envelope URL from a DSN", () => {
    expect(parseDsn("https://abc123@o1.ingest.sentry.io/4505")?.envelopeUrl).toBe(
      "https://o1.ingest.sentry.io/api/4505/envelope/?sentry_key=abc123&sentry_version=7",
    );
  });
  it("keeps a path prefix of a self-hosted Sentry", () => {
    expect(parseDsn("https://k@sentry.example.com/prefix/9")?.envelopeUrl).toBe(
      "https://sentry.example.com/prefix/api/9/envelope/?sentry_key=k&sentry_version=7",
    );
  });
  it("refuses a DSN without a key or project", () => {
    expect(parseDsn("https://sentry.example.com/9")).toBeNull();
    expect(parseDsn("https://k@sentry.example.com/")).toBeNull();
    expect(parseDsn("not a url")).toBeNull();
  });
});

describe("envelopeFor", () => {
  it("holds a header, an item header and the error event", () => {
    const dsn = parseDsn("https://k@sentry.example.com/9")!;
    const text = envelopeFor(dsn, {
      error: new TypeError("boom"),
      environment: "production",
      url: "https://app.example.com/",
      now: new Date("2026-01-01T00:00:00Z"),
      eventId: "e".repeat(32),
    });
    const [header, item, event] = text.split("\n").map((line) => JSON.parse(line));
    expect(header).toEqual({ event_id: "e".repeat(32), sent_at: "2026-01-01T00:00:00.000Z", dsn: "https://k@sentry.example.com/9" });
    expect(item).toEqual({ type: "event" });
    expect(event.exception.values[0]).toEqual({ type: "TypeError", value: "boom" });
    expect(event.environment).toBe("production");
  });
});
