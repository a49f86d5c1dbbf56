// The API client: cookies carry auth, each action is one trace (when tracing is on), and a 401 triggers one silent
// refresh.

import { ApiError, networkError, toApiError } from "./errors";
import { normalizeConversations, normalizeMessages } from "./normalize";
import { type ChatEvent, chatEventFrom } from "./chatEvents";
import type { MaintenanceState } from "./maintenance";
import { readSse } from "./sse";
import { type Action, startAction } from "./tracing";
import { taskQueryString } from "./taskQuery";
import type {
  ChatMessage,
  ChatReply,
  Conversation,
  TagCount,
  Task,
  TaskFields,
  TaskPage,
  TaskQuery,
  UndoResult,
  User,
} from "./types";

export interface ClientOptions {
  base: string;
  fetch?: typeof fetch;
  /** Called once when a refresh fails: the person must sign in again. */
  onSignedOut?: () => void;
}

interface CallOptions {
  /** Retry once after a silent refresh when the access token has expired. */
  refreshOn401?: boolean;
  signal?: AbortSignal;
}

const AUTH = "/api/v1/auth";

export class ApiClient {
  private readonly base: string;
  private readonly doFetch: typeof fetch;
  private readonly onSignedOut: () => void;
  private refreshing: Promise<boolean> | null = null;

  constructor(options: ClientOptions) {
    this.base = options.base;
    this.doFetch = options.fetch ?? ((input, init) => fetch(input, init));
    this.onSignedOut = options.onSignedOut ?? (() => undefined);
  }

  /** Send a request; resolves with an OK response or throws ApiError. */
  async send(path: string, init: RequestInit = {}, options: CallOptions = {}): Promise<Response> {
    const { refreshOn401 = true, signal } = options;
    // One trace per action; each attempt is its own client span in it.
    const action = startAction(init.method ?? "GET", path);
    try {
      let response = await this.attempt(path, init, action, signal);
      if (response.status === 401 && refreshOn401) {
        if (await this.refresh()) {
          response = await this.attempt(path, init, action, signal);
        }
        if (response.status === 401) {
          this.onSignedOut();
        }
      }
      if (!response.ok) throw await errorFrom(response);
      action.end();
      return response;
    } catch (err) {
      action.end(err);
      throw err;
    }
  }

  async json<T>(path: string, init: RequestInit = {}, options: CallOptions = {}): Promise<T> {
    const response = await this.send(path, init, options);
    if (response.status === 204) return undefined as T;
    return (await response.json()) as T;
  }

  /** Rotate the refresh cookie for a new access cookie; concurrent callers share one refresh. */
  refresh(): Promise<boolean> {
    if (!this.refreshing) {
      const action = startAction("POST", `${AUTH}/refresh`);
      this.refreshing = this.attempt(`${AUTH}/refresh`, { method: "POST" }, action)
        .then((r) => r.ok)
        .catch(() => false)
        .finally(() => {
          action.end();
          this.refreshing = null;
        });
    }
    return this.refreshing;
  }

  private async attempt(path: string, init: RequestInit, action: Action, signal?: AbortSignal): Promise<Response> {
    const headers = new Headers(init.headers);
    if (init.body !== undefined && !headers.has("content-type")) headers.set("content-type", "application/json");
    if (!headers.has("accept")) headers.set("accept", "application/json");
    try {
      return await action.attempt(init.method ?? "GET", path, headers, () =>
        this.doFetch(`${this.base}${path}`, { ...init, headers, credentials: "include", signal }),
      );
    } catch (err) {
      if (signal?.aborted) throw err;
      throw networkError(err);
    }
  }

  // --- auth ---

  /** Sign up in the browser's time zone, so "tomorrow" and "overdue" mean the person's own days. */
  register(email: string, password: string, timezone: string = browserTimeZone()): Promise<User> {
    return this.json(`${AUTH}/register`, post({ email, password, timezone }), { refreshOn401: false });
  }

  async login(email: string, password: string): Promise<User> {
    const body = await this.json<{ user: User }>(`${AUTH}/login`, post({ email, password }), { refreshOn401: false });
    return body.user;
  }

  async logout(): Promise<void> {
    await this.send(`${AUTH}/logout`, { method: "POST" }, { refreshOn401: false });
  }

  /** Open and upcoming maintenance windows; public, so it works signed out too. */
  maintenance(): Promise<MaintenanceState> {
    return this.json("/api/v1/maintenance", {}, { refreshOn401: false });
  }

  me(): Promise<User> {
    return this.json(`${AUTH}/me`);
  }

  setTimeZone(timezone: string): Promise<User> {
    return this.json(`${AUTH}/me`, { method: "PATCH", body: JSON.stringify({ timezone }) });
  }

  // --- tasks ---

  listTasks(query: TaskQuery = { view: "all", tag: null, search: "" }, limit?: number): Promise<TaskPage> {
    return this.json(`/api/v1/tasks?${taskQueryString(query, limit)}`);
  }

  tags(): Promise<TagCount[]> {
    return this.json<{ tags: TagCount[] }>("/api/v1/tasks/tags").then((body) => body.tags);
  }

  createTask(fields: TaskFields): Promise<Task> {
    return this.json("/api/v1/tasks", post(fields));
  }

  updateTask(id: number, fields: TaskFields): Promise<Task> {
    return this.json(`/api/v1/tasks/${id}`, { method: "PATCH", body: JSON.stringify(fields) });
  }

  setCompleted(id: number, completed: boolean): Promise<Task> {
    return this.updateTask(id, { completed });
  }

  skipOccurrence(id: number): Promise<Task> {
    return this.json(`/api/v1/tasks/${id}/skip`, { method: "POST" });
  }

  async deleteTask(id: number): Promise<void> {
    await this.send(`/api/v1/tasks/${id}`, { method: "DELETE" });
  }

  /** Take back the person's latest change, whichever tab or chat made it. */
  undo(): Promise<UndoResult> {
    return this.json("/api/v1/tasks/undo", { method: "POST" });
  }

  // --- conversations ---

  async conversations(): Promise<Conversation[]> {
    return normalizeConversations(await this.json<unknown>("/api/v1/conversations"));
  }

  async messages(conversationId: string): Promise<ChatMessage[]> {
    const path = `/api/v1/conversations/${encodeURIComponent(conversationId)}/messages`;
    return normalizeMessages(await this.json<unknown>(path));
  }

  async deleteConversation(conversationId: string): Promise<void> {
    await this.send(`/api/v1/conversations/${encodeURIComponent(conversationId)}`, { method: "DELETE" });
  }

  // --- chat ---

  chat(message: string, conversationId?: string | null): Promise<ChatReply> {
    return this.json("/api/v1/chat", post(chatBody(message, conversationId)));
  }

  /** Stream a reply as chat events; errors before the stream opens are thrown, later ones arrive as events. */
  async *chatStream(message: string, conversationId?: string | null, signal?: AbortSignal): AsyncGenerator<ChatEvent> {
    const init = post(chatBody(message, conversationId));
    init.headers = { accept: "text/event-stream" };
    const response = await this.send("/api/v1/chat/stream", init, { signal });
    if (!response.body) throw networkError(new Error("the stream has no body"));
    for await (const sse of readSse(response.body)) {
      const event = chatEventFrom(sse);
      if (event) yield event;
    }
  }
}

function post(body: unknown): RequestInit {
  return { method: "POST", body: JSON.stringify(body) };
}

function chatBody(message: string, conversationId?: string | null): Record<string, unknown> {
  return conversationId ? { message, conversation_id: conversationId } : { message };
}

async function errorFrom(response: Response): Promise<ApiError> {
  let body: unknown = null;
  try {
    body = await response.json();
  } catch {
    // Not JSON (a proxy's error page, say): the status alone decides.
  }
  return toApiError(response.status, response.headers, body);
}

/** The browser's IANA time zone, or UTC where the browser does not say. */
export function browserTimeZone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  } catch {
    return "UTC";
  }
}
