import { describe, expect, it } from "vitest";
import { chatEventFrom } from "./chatEvents";
import { ApiError } from "./errors";
import { chatReducer, emptyChat, type ChatState } from "./chatState";

const sent = chatReducer(emptyChat, { type: "send", text: "add a task to buy milk", userId: "u1", assistantId: "a1" });
const milk = { name: "add_task", arguments: { title: "buy milk" }, result: { task_id: 1, status: "created", title: "buy milk" } };

describe("chatReducer", () => {
  it("shows the person's message and an empty streaming reply", () => {
    expect(sent.streaming).toBe(true);
    expect(sent.messages.map((m) => [m.role, m.content, m.streaming ?? false])).toEqual([
      ["user", "add a task to buy milk", false],
      ["assistant", "", true],
    ]);
  });

  it("grows the reply with each delta and collects tool calls", () => {
    let s: ChatState = sent;
    s = chatReducer(s, { type: "event", event: { type: "delta", text: "Added " } });
    s = chatReducer(s, { type: "event", event: { type: "tool_call", call: milk } });
    s = chatReducer(s, { type: "event", event: { type: "delta", text: "buy milk." } });
    expect(s.messages[1].content).toBe("Added buy milk.");
    expect(s.messages[1].toolCalls).toEqual([milk]);
  });

  it("takes the final text and conversation id when done", () => {
    let s: ChatState = chatReducer(sent, { type: "event", event: { type: "delta", text: "Add" } });
    s = chatReducer(s, {
      type: "event",
      event: { type: "done", reply: { conversation_id: "c1", response: "Added buy milk.", tool_calls: [milk] } },
    });
    expect(s.streaming).toBe(false);
    expect(s.conversationId).toBe("c1");
    expect(s.messages[1]).toMatchObject({ content: "Added buy milk.", streaming: false, toolCalls: [milk] });
  });

  it("takes an unsent message off screen when the request fails before any reply", () => {
    const s = chatReducer(sent, { type: "failed", error: new ApiError("rate_limited", "slow", 429, "rate_limited") });
    expect(s.streaming).toBe(false);
    expect(s.messages).toEqual([]);
  });

  it("drops only the empty reply when the stream reports an error", () => {
    const error = new ApiError("model_unavailable", "down", 503, "model_unavailable");
    const s = chatReducer(sent, { type: "event", event: { type: "error", error } });
    expect(s.messages.map((m) => m.role)).toEqual(["user"]);
  });

  it("keeps a partial reply, marked failed, when the stream breaks", () => {
    let s: ChatState = chatReducer(sent, { type: "event", event: { type: "delta", text: "Add" } });
    s = chatReducer(s, { type: "finished" });
    expect(s.messages[1]).toMatchObject({ content: "Add", streaming: false });
    s = chatReducer(sent, { type: "event", event: { type: "delta", text: "Add" } });
    s = chatReducer(s, { type: "failed", error: new ApiError("network", "x", 0, "network_error") });
    expect(s.messages[1]).toMatchObject({ content: "Add", failed: true });
  });

  it("loads a stored conversation", () => {
    const s = chatReducer(sent, { type: "load", conversationId: "c2", messages: [] });
    expect(s).toEqual({ conversationId: "c2", messages: [], streaming: false });
  });
});

describe("chatEventFrom", () => {
  it("reads deltas, tool calls, the final reply and errors", () => {
    expect(chatEventFrom({ event: "delta", data: '{"text":"Hi"}' })).toEqual({ type: "delta", text: "Hi" });
    expect(chatEventFrom({ event: "tool_call", data: JSON.stringify(milk) })).toEqual({ type: "tool_call", call: milk });
    expect(chatEventFrom({ event: "done", data: '{"conversation_id":"c","response":"ok","tool_calls":[]}' })).toEqual({
      type: "done",
      reply: { conversation_id: "c", response: "ok", tool_calls: [] },
    });
    const err = chatEventFrom({ event: "error", data: '{"error":{"code":"model_unavailable","message":"down"}}' });
    expect(err?.type === "error" && err.error.kind).toBe("model_unavailable");
  });

  it("ignores event names it does not know", () => {
    expect(chatEventFrom({ event: "ping", data: "{}" })).toBeNull();
  });
});
