// Shapes the API answers with (see the backend's schemas); only the fields the page uses.

export interface User {
  id: string;
  email: string;
  timezone?: string;
}

export type Priority = "low" | "medium" | "high" | "urgent";
export type DueState = "overdue" | "today" | "upcoming";

export interface Task {
  id: number;
  title: string;
  description: string | null;
  completed: boolean;
  /** ISO 8601 in the person's own offset; for an all-day task, local midnight of that day. */
  due_at?: string | null;
  all_day?: boolean;
  due_state?: DueState | null;
  priority?: Priority | null;
  tags?: string[];
  /** RFC 5545 RRULE, and a person's summary of it ("every Monday"). */
  recurrence?: string | null;
  recurrence_text?: string | null;
  remind_at?: string | null;
  /** ISO 8601 duration before the due time ("PT30M"), or "evening_before". */
  remind_before?: string | null;
}

/** Fields a create or an update sends; an explicit null clears an optional one. */
export interface TaskFields {
  title?: string;
  description?: string | null;
  completed?: boolean;
  due_at?: string | null;
  priority?: Priority | null;
  tags?: string[];
  recurrence?: string | null;
  remind_before?: string | null;
  remind_at?: string | null;
}

export interface TaskPage {
  items: Task[];
  total: number;
  limit: number;
  offset: number;
}

/** The task panel's views: status and due window together, as a person thinks of them. */
export type TaskView = "all" | "pending" | "today" | "upcoming" | "overdue" | "completed";

export interface TaskQuery {
  view: TaskView;
  tag: string | null;
  search: string;
}

export interface TagCount {
  name: string;
  count: number;
}

export interface UndoResult {
  status: "undone";
  action: string;
  summary: string;
  tasks: Task[];
}

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
