import { describe, expect, it } from "vitest";
import { newTrace, parseTraceparent, randomId, traceparent } from "./traceparent";

describe("traceparent", () => {
  it("is version 00, a 16-byte trace id, an 8-byte span id and the sampled flag", () => {
    const value = traceparent();
    expect(value).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    expect(parseTraceparent(value)).not.toBeNull();
  });

  it("gives every action its own trace id", () => {
    const ids = new Set(Array.from({ length: 50 }, () => newTrace().traceId));
    expect(ids.size).toBe(50);
  });

  it("never uses the invalid all-zero id", () => {
    let calls = 0;
    const fill = (bytes: Uint8Array) => {
      calls += 1;
      if (calls > 1) bytes.fill(0xab);
      return bytes;
    };
    expect(randomId(8, fill)).toBe("abababababababab");
    expect(calls).toBe(2);
  });

  it("carries the given ids", () => {
    expect(traceparent({ traceId: "a".repeat(32), spanId: "b".repeat(16) })).toBe(`00-${"a".repeat(32)}-${"b".repeat(16)}-01`);
  });

  it("rejects malformed or zero ids when parsing", () => {
    expect(parseTraceparent(`00-${"0".repeat(32)}-${"b".repeat(16)}-01`)).toBeNull();
    expect(parseTraceparent("00-abc-def-01")).toBeNull();
  });
});
