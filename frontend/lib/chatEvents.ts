// Server-sent chat events mapped to what the page does with them.

import { ApiError, streamError } from "./errors";
import type { SseEvent } from "./sse";
import type { ChatReply, ToolCall } from "./types";

export type ChatEvent =
  | { type: "start"; conversationId: string }
  | { type: "delta"; text: string }
  | { type: "tool_call"; call: ToolCall }
  | { type: "done"; reply: ChatReply }
  | { type: "error"; error: ApiError };

function parse(data: string): unknown {
  try {
    return JSON.parse(data);
  } catch {
    return data;
  }
}

function asRecord(value: unknown): Record<string, unknown> {
  return value && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

export function toolCallFrom(value: unknown): ToolCall {
  const v = asRecord(value);
  return {
    name: typeof v.name === "string" ? v.name : "tool",
    arguments: asRecord(v.arguments),
    result: v.result ?? null,
  };
}

function str(value: unknown): string {
  return typeof value === "string" ? value : "";
}

/** One SSE event as a chat event; unknown event names are ignored so the server can add new ones. */
export function chatEventFrom(sse: SseEvent): ChatEvent | null {
  const payload = parse(sse.data);
  const p = asRecord(payload);
  switch (sse.event) {
    case "start":
    case "conversation":
      return str(p.conversation_id) ? { type: "start", conversationId: str(p.conversation_id) } : null;
    case "delta":
    case "token":
    case "text":
    case "message": {
      const text = typeof payload === "string" ? payload : str(p.text ?? p.delta ?? p.content);
      return text ? { type: "delta", text } : null;
    }
    case "tool_call":
    case "tool":
      return { type: "tool_call", call: toolCallFrom(payload) };
    case "done":
    case "final":
    case "end":
      return {
        type: "done",
        reply: {
          conversation_id: str(p.conversation_id),
          response: str(p.response),
          tool_calls: Array.isArray(p.tool_calls) ? p.tool_calls.map(toolCallFrom) : [],
        },
      };
    case "error":
      return { type: "error", error: streamError(payload) };
    default:
      return null;
  }
}
