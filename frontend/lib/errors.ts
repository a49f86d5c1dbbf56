// One error type for every failed call, mapped from the API's {"error": {...}} body and the HTTP status.

export type ErrorKind =
  | "unauthorized"
  | "rate_limited"
  | "model_unavailable"
  | "unavailable"
  | "invalid"
  | "not_found"
  | "conflict"
  | "network"
  | "server";

export class ApiError extends Error {
  constructor(
    readonly kind: ErrorKind,
    message: string,
    readonly status: number,
    readonly code: string,
    readonly requestId: string | null = null,
    readonly retryAfterSeconds: number | null = null,
    readonly details: unknown[] = [],
  ) {
    super(message);
    this.name = "ApiError";
  }
}

/** Retry-After as seconds: either delta-seconds or an HTTP date. */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | null {
  if (!value) return null;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return null;
  return Math.max(0, Math.ceil((at - now) / 1000));
}

const DEFAULT_MESSAGES: Record<ErrorKind, string> = {
  unauthorized: "Your session has ended. Sign in again.",
  rate_limited: "You're sending requests too quickly. Wait a moment and try again.",
  model_unavailable: "The assistant is unavailable right now. Your tasks are still here; try again in a minute.",
  unavailable: "The service is unavailable right now. Try again in a few seconds.",
  invalid: "That request wasn't accepted. Check what you entered.",
  not_found: "That item no longer exists.",
  conflict: "That conflicts with something that already exists.",
  network: "Can't reach the server. Check your connection and try again.",
  server: "Something went wrong on our side. Try again.",
};

export function kindFor(status: number, code: string): ErrorKind {
  if (code === "model_unavailable") return "model_unavailable";
  if (status === 401) return "unauthorized";
  if (status === 429) return "rate_limited";
  if (status === 503) return "unavailable";
  if (status === 404) return "not_found";
  if (status === 409) return "conflict";
  if (status === 400 || status === 413 || status === 415 || status === 422) return "invalid";
  return "server";
}

interface ErrorBody {
  error?: { code?: unknown; message?: unknown; details?: unknown; request_id?: unknown };
}

/** Build an ApiError from an HTTP status, headers and the parsed (possibly absent) JSON body. */
export function toApiError(status: number, headers: Headers, body: unknown): ApiError {
  const err = (body as ErrorBody | null)?.error ?? {};
  const code = typeof err.code === "string" ? err.code : `http_${status}`;
  const kind = kindFor(status, code);
  const serverMessage = typeof err.message === "string" && err.message ? err.message : null;
  // Our own wording for the states a person can act on; the server's for the rest, which is specific.
  const preferOwn = kind === "rate_limited" || kind === "model_unavailable" || kind === "server";
  const message = (preferOwn ? null : serverMessage) ?? DEFAULT_MESSAGES[kind];
  return new ApiError(
    kind,
    message,
    status,
    code,
    typeof err.request_id === "string" ? err.request_id : headers.get("x-request-id"),
    parseRetryAfter(headers.get("retry-after")),
    Array.isArray(err.details) ? err.details : [],
  );
}

/** Error from an SSE `error` event (the stream already answered 200). */
export function streamError(payload: unknown): ApiError {
  const p = (payload ?? {}) as { error?: Record<string, unknown> } & Record<string, unknown>;
  const inner = (p.error && typeof p.error === "object" ? p.error : p) as Record<string, unknown>;
  const code = typeof inner.code === "string" ? inner.code : "stream_error";
  const status = typeof inner.status === "number" ? inner.status : code === "model_unavailable" ? 503 : 500;
  const headers = new Headers();
  if (typeof inner.retry_after === "number") headers.set("retry-after", String(inner.retry_after));
  return toApiError(status, headers, { error: inner });
}

export function networkError(cause: unknown): ApiError {
  const e = new ApiError("network", DEFAULT_MESSAGES.network, 0, "network_error");
  (e as { cause?: unknown }).cause = cause;
  return e;
}

export function defaultMessage(kind: ErrorKind): string {
  return DEFAULT_MESSAGES[kind];
}
