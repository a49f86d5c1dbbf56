import { describe, expect, it } from "vitest";
import { readSse, SseParser } from "./sse";

describe("SseParser", () => {
  it("parses named events with JSON data", () => {
    const p = new SseParser();
    expect(p.push('event: delta\ndata: {"text":"Hi"}\n\n')).toEqual([{ event: "delta", data: '{"text":"Hi"}' }]);
  });

  it("joins events split across arbitrary chunk boundaries", () => {
    const text = 'event: delta\ndata: {"text":"Hel"}\n\nevent: done\ndata: {"response":"Hello"}\n\n';
    const p = new SseParser();
    const events = [];
    for (const ch of text) events.push(...p.push(ch));
    expect(events.map((e) => e.event)).toEqual(["delta", "done"]);
    expect(events[1].data).toBe('{"response":"Hello"}');
  });

  it("accepts CRLF and CR line endings, even when CRLF is split between chunks", () => {
    const p = new SseParser();
    const events = [...p.push("data: a\r"), ...p.push("\n\r\n"), ...p.push("data: b\r\r\n")];
    expect(events).toEqual([
      { event: "message", data: "a" },
      { event: "message", data: "b" },
    ]);
  });

  it("joins multi-line data with newlines and ignores comments", () => {
    const p = new SseParser();
    expect(p.push(": keep-alive\ndata: one\ndata: two\nid: 7\n\n")).toEqual([
      { event: "message", data: "one\ntwo", id: "7" },
    ]);
  });

  it("keeps only one leading space of a value", () => {
    const p = new SseParser();
    expect(p.push("data:  two spaces\n\n")[0].data).toBe(" two spaces");
  });

  it("does not dispatch an event without data", () => {
    const p = new SseParser();
    expect(p.push("event: ping\n\n")).toEqual([]);
    expect(p.push("data: x\n\n")[0].event).toBe("message");
  });

  it("drops an unterminated last event at the end of the stream", () => {
    const p = new SseParser();
    expect(p.push("data: partial")).toEqual([]);
    expect(p.end()).toEqual([]);
  });
});

describe("readSse", () => {
  it("decodes UTF-8 split inside a character", async () => {
    const bytes = new TextEncoder().encode('data: {"text":"café ☕"}\n\n');
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (const b of bytes) controller.enqueue(new Uint8Array([b]));
        controller.close();
      },
    });
    const events = [];
    for await (const e of readSse(body)) events.push(e);
    expect(events).toEqual([{ event: "message", data: '{"text":"café ☕"}' }]);
  });
});
