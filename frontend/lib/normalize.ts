// Lists from the conversations API, as the page shows them.

import { toolCallFrom } from "./chatEvents";
import type { ChatMessage, Conversation } from "./types";

function items(body: unknown): unknown[] {
  if (Array.isArray(body)) return body;
  const record = (body ?? {}) as Record<string, unknown>;
  for (const key of ["items", "conversations", "messages"]) {
    if (Array.isArray(record[key])) return record[key] as unknown[];
  }
  return [];
}

function text(value: unknown): string {
  return typeof value === "string" ? value : "";
}

export function normalizeConversations(body: unknown): Conversation[] {
  return items(body).map((raw) => {
    const c = (raw ?? {}) as Record<string, unknown>;
    return {
      id: String(c.id ?? c.conversation_id ?? ""),
      title: text(c.title) || text(c.preview) || "New conversation",
      updatedAt: text(c.updated_at) || text(c.created_at) || null,
    };
  }).filter((c) => c.id !== "");
}

export function normalizeMessages(body: unknown): ChatMessage[] {
  const out: ChatMessage[] = [];
  items(body).forEach((raw, index) => {
    const m = (raw ?? {}) as Record<string, unknown>;
    const role = m.role === "user" ? "user" : m.role === "assistant" || m.role === "model" ? "assistant" : null;
    if (!role) return;
    const calls = Array.isArray(m.tool_calls) ? m.tool_calls.map(toolCallFrom) : [];
    out.push({ id: String(m.id ?? `m${index}`), role, content: text(m.content), toolCalls: calls });
  });
  return out;
}
