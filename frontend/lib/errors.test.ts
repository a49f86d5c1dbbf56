import { describe, expect, it } from "vitest";
import { parseRetryAfter, streamError, toApiError } from "./errors";

const body = (code: string, message: string) => ({ error: { code, message, details: [], request_id: "req-1" } });

describe("toApiError", () => {
  it("maps 401 to signed out", () => {
    const e = toApiError(401, new Headers(), body("unauthorized", "Sign in first"));
    expect(e.kind).toBe("unauthorized");
    expect(e.requestId).toBe("req-1");
  });

  it("maps 429 to rate limited with the Retry-After seconds", () => {
    const e = toApiError(429, new Headers({ "Retry-After": "12" }), body("rate_limited", "slow down"));
    expect(e.kind).toBe("rate_limited");
    expect(e.retryAfterSeconds).toBe(12);
    expect(e.message).toMatch(/too quickly/);
  });

  it("maps model_unavailable to its own state, whatever the status", () => {
    expect(toApiError(503, new Headers(), body("model_unavailable", "x")).kind).toBe("model_unavailable");
    expect(toApiError(502, new Headers(), body("model_unavailable", "x")).kind).toBe("model_unavailable");
  });

  it("maps any other 503 to unavailable", () => {
    expect(toApiError(503, new Headers(), body("database_unavailable", "db down")).kind).toBe("unavailable");
  });

  it("keeps the server's specific message for invalid input", () => {
    const e = toApiError(422, new Headers(), body("invalid_input", "The request is not valid: email: bad"));
    expect(e.kind).toBe("invalid");
    expect(e.message).toBe("The request is not valid: email: bad");
  });

  it("copes with a body that is not our error shape", () => {
    const e = toApiError(500, new Headers({ "x-request-id": "r9" }), null);
    expect(e.kind).toBe("server");
    expect(e.code).toBe("http_500");
    expect(e.requestId).toBe("r9");
  });
});

describe("parseRetryAfter", () => {
  it("reads delta seconds", () => expect(parseRetryAfter("30")).toBe(30));
  it("reads an HTTP date", () => {
    const now = Date.parse("Wed, 21 Oct 2015 07:28:00 GMT");
    expect(parseRetryAfter("Wed, 21 Oct 2015 07:28:05 GMT", now)).toBe(5);
  });
  it("gives null for nothing or nonsense", () => {
    expect(parseRetryAfter(null)).toBeNull();
    expect(parseRetryAfter("soon")).toBeNull();
  });
});

describe("streamError", () => {
  it("maps a model_unavailable event", () => {
    expect(streamError({ error: { code: "model_unavailable", message: "down" } }).kind).toBe("model_unavailable");
  });
  it("maps a flat error event with a status", () => {
    const e = streamError({ code: "rate_limited", status: 429, retry_after: 3 });
    expect(e.kind).toBe("rate_limited");
    expect(e.retryAfterSeconds).toBe(3);
  });
});
