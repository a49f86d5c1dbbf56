// The conversation on screen, as a pure reducer over what the person sends and what the stream answers.

import type { ChatEvent } from "./chatEvents";
import type { ApiError } from "./errors";
import type { ChatMessage } from "./types";

export interface ChatState {
  conversationId: string | null;
  messages: ChatMessage[];
  streaming: boolean;
}

export type ChatAction =
  | { type: "send"; text: string; userId: string; assistantId: string }
  | { type: "event"; event: ChatEvent }
  | { type: "failed"; error: ApiError }
  | { type: "finished" }
  | { type: "load"; conversationId: string; messages: ChatMessage[] }
  | { type: "reset" };

export const emptyChat: ChatState = { conversationId: null, messages: [], streaming: false };

function updateLast(state: ChatState, change: (m: ChatMessage) => ChatMessage): ChatState {
  const last = state.messages[state.messages.length - 1];
  if (!last || last.role !== "assistant" || !last.streaming) return state;
  return { ...state, messages: [...state.messages.slice(0, -1), change(last)] };
}

function stopStreaming(state: ChatState, failed: boolean): ChatState {
  const last = state.messages[state.messages.length - 1];
  if (last && last.role === "assistant" && last.streaming && !last.content && last.toolCalls.length === 0) {
    // Nothing arrived: drop the empty bubble rather than show a blank reply.
    return { ...state, streaming: false, messages: state.messages.slice(0, -1) };
  }
  return { ...updateLast(state, (m) => ({ ...m, streaming: false, failed: failed || m.failed })), streaming: false };
}

/** A request that failed before anything came back: take the message off screen (the draft gets it back). */
function unsent(state: ChatState): ChatState | null {
  const [user, reply] = state.messages.slice(-2);
  if (!user || user.role !== "user" || !reply?.streaming || reply.content || reply.toolCalls.length > 0) return null;
  return { ...state, streaming: false, messages: state.messages.slice(0, -2) };
}

export function chatReducer(state: ChatState, action: ChatAction): ChatState {
  switch (action.type) {
    case "send":
      return {
        ...state,
        streaming: true,
        messages: [
          ...state.messages,
          { id: action.userId, role: "user", content: action.text, toolCalls: [] },
          { id: action.assistantId, role: "assistant", content: "", toolCalls: [], streaming: true },
        ],
      };
    case "event":
      return applyEvent(state, action.event);
    case "failed":
      return unsent(state) ?? stopStreaming(state, true);
    case "finished":
      return state.streaming ? stopStreaming(state, false) : state;
    case "load":
      return { conversationId: action.conversationId, messages: action.messages, streaming: false };
    case "reset":
      return emptyChat;
  }
}

function applyEvent(state: ChatState, event: ChatEvent): ChatState {
  switch (event.type) {
    case "start":
      return { ...state, conversationId: event.conversationId };
    case "delta":
      return updateLast(state, (m) => ({ ...m, content: m.content + event.text }));
    case "tool_call":
      return updateLast(state, (m) => ({ ...m, toolCalls: [...m.toolCalls, event.call] }));
    case "done": {
      const { reply } = event;
      const next = updateLast(state, (m) => ({
        ...m,
        // The final text is authoritative; the streamed pieces were a preview of it.
        content: reply.response || m.content,
        toolCalls: m.toolCalls.length > 0 ? m.toolCalls : reply.tool_calls,
        streaming: false,
      }));
      return { ...next, streaming: false, conversationId: reply.conversation_id || state.conversationId };
    }
    case "error":
      return stopStreaming(state, true);
  }
}
