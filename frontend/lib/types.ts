// Shapes the API answers with (see the backend's schemas); only the fields the page uses.

export interface User {
  id: string;
  email: string;
  timezone?: string;
}

export interface Task {
  id: number;
  title: string;
  description: string | null;
  completed: boolean;
}

export interface TaskPage {
  items: Task[];
  total: number;
  limit: number;
  offset: number;
}

export type TaskFilter = "all" | "pending" | "completed";

export interface ToolCall {
  name: string;
  arguments: Record<string, unknown>;
  result: unknown;
}

export interface ChatReply {
  conversation_id: string;
  response: string;
  tool_calls: ToolCall[];
}

export interface Conversation {
  id: string;
  title: string;
  updatedAt: string | null;
}

export interface ChatMessage {
  id: string;
  role: "user" | "assistant";
  content: string;
  toolCalls: ToolCall[];
  /** True while the assistant's reply is still streaming in. */
  streaming?: boolean;
  failed?: boolean;
}
