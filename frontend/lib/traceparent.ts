// W3C Trace Context: every request the page makes starts (or continues) a trace at the click.

export type RandomFill = (bytes: Uint8Array) => Uint8Array;

const defaultFill: RandomFill = (bytes) => crypto.getRandomValues(bytes);

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Random non-zero id of `size` bytes as lowercase hex (an all-zero id is invalid in the spec). */
export function randomId(size: number, fill: RandomFill = defaultFill): string {
  for (let attempt = 0; attempt < 8; attempt++) {
    const bytes = fill(new Uint8Array(size));
    if (bytes.some((b) => b !== 0)) return hex(bytes);
  }
  throw new Error("random source returned only zeros");
}

export interface TraceContext {
  traceId: string;
  spanId: string;
}

export function newTrace(fill: RandomFill = defaultFill): TraceContext {
  return { traceId: randomId(16, fill), spanId: randomId(8, fill) };
}

/** `traceparent` header value, sampled (flags 01). */
export function traceparent(ctx: TraceContext = newTrace()): string {
  return `00-${ctx.traceId}-${ctx.spanId}-01`;
}

const PATTERN = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

export function parseTraceparent(value: string): TraceContext | null {
  const m = PATTERN.exec(value.trim());
  if (!m || /^0+$/.test(m[1]) || /^0+$/.test(m[2])) return null;
  return { traceId: m[1], spanId: m[2] };
}
