"use client";

import { useCallback, useEffect, useReducer, useRef, useState } from "react";
import type { ApiClient } from "@/lib/api";
import { changesTasks } from "@/lib/chips";
import { chatReducer, emptyChat } from "@/lib/chatState";
import { config, mcpEndpoint } from "@/lib/config";
import type { ApiError } from "@/lib/errors";
import type { LiveEvent } from "@/lib/liveEvents";
import { type Change, changeNote, reminderNote, undoneNote } from "@/lib/notes";
import type { Conversation, Task, TaskFields, User } from "@/lib/types";
import Banner from "./Banner";
import ChatPanel from "./ChatPanel";
import ConversationList from "./ConversationList";
import Settings from "./Settings";
import TaskPanel from "./TaskPanel";
import Toasts, { type Toast } from "./Toasts";
import { asApiError, useConversations, useCountdown, useLiveEvents, useTasks } from "./hooks";

type View = "conversations" | "chat" | "tasks";

interface Props {
  api: ApiClient;
  user: User;
  /** The person's account as the server now has it (after a time-zone change). */
  onUser: (user: User) => void;
  onSignOut: () => void;
}

// A change note stays long enough to reach for Undo; a reminder stays until it is dismissed or done.
const CHANGE_NOTE_MS = 10_000;
const INFO_NOTE_MS = 5_000;
// Several events in a row (a bulk change, a chat turn) refetch the list once.
const EVENT_RELOAD_PAUSE_MS = 150;

/** Keep the open conversation in the address, so a reload comes back to it. */
function rememberConversation(id: string | null) {
  const url = new URL(window.location.href);
  if (id) url.searchParams.set("c", id);
  else url.searchParams.delete("c");
  window.history.replaceState(null, "", url);
}

let nextId = 0;
const localId = (prefix: string) => `${prefix}-${Date.now()}-${nextId++}`;

export default function Workspace({ api, user, onUser, onSignOut }: Props) {
  const [chat, dispatch] = useReducer(chatReducer, emptyChat);
  const [draft, setDraft] = useState("");
  const [error, setError] = useState<ApiError | null>(null);
  const [lastMessage, setLastMessage] = useState<string | null>(null);
  const [retryAt, setRetryAt] = useState<number | null>(null);
  const [loadingMessages, setLoadingMessages] = useState(false);
  const [view, setView] = useState<View>("chat");
  const tasks = useTasks(api);
  const conversations = useConversations(api);
  const secondsLeft = useCountdown(retryAt);
  const inputRef = useRef<HTMLTextAreaElement>(null);
  const newButtonRef = useRef<HTMLButtonElement>(null);
  const abortRef = useRef<AbortController | null>(null);
  const conversationRef = useRef<string | null>(null);
  conversationRef.current = chat.conversationId;
  const [toasts, setToasts] = useState<Toast[]>([]);
  const timeZone = user.timezone ?? "UTC";
  const clock = useCallback(() => ({ timeZone, now: new Date() }), [timeZone]);

  const dismissToast = useCallback((id: string) => setToasts((list) => list.filter((t) => t.id !== id)), []);
  const addToast = useCallback(
    (toast: Omit<Toast, "id">, ms?: number) => {
      const id = localId("toast");
      // A newer change note replaces an older one: Undo takes back the latest change only.
      setToasts((list) => [...list.filter((t) => toast.kind !== "change" || t.kind !== "change"), { ...toast, id }]);
      if (ms) window.setTimeout(() => dismissToast(id), ms);
    },
    [dismissToast],
  );
  const noteChange = useCallback(
    (change: Change, task: Task) => addToast({ kind: "change", text: changeNote(change, task, clock()) }, CHANGE_NOTE_MS),
    [addToast, clock],
  );

  const createTask = useCallback(
    async (fields: TaskFields): Promise<string | null> => {
      try {
        noteChange("added", await api.createTask(fields));
        void tasks.reload();
        return null;
      } catch (err) {
        return asApiError(err).message;
      }
    },
    [api, tasks, noteChange],
  );

  const updateTask = useCallback(
    async (task: Task, fields: TaskFields): Promise<string | null> => {
      try {
        const saved = await api.updateTask(task.id, fields);
        tasks.patch(task.id, saved);
        noteChange("saved", saved);
        void tasks.reload();
        return null;
      } catch (err) {
        return asApiError(err).message;
      }
    },
    [api, tasks, noteChange],
  );

  const toggleTask = useCallback(
    async (task: Task) => {
      const saved = await tasks.toggle(task);
      if (saved) noteChange(task.completed ? "reopened" : "completed", saved);
    },
    [tasks, noteChange],
  );

  const deleteTask = useCallback(
    async (task: Task) => {
      tasks.patch(task.id, null);
      try {
        await api.deleteTask(task.id);
        noteChange("deleted", task);
      } catch (err) {
        tasks.setError(asApiError(err));
      }
      void tasks.reload();
    },
    [api, tasks, noteChange],
  );

  const undo = useCallback(
    async (toast: Toast) => {
      dismissToast(toast.id);
      try {
        addToast({ kind: "info", text: undoneNote(await api.undo()) }, INFO_NOTE_MS);
      } catch (err) {
        addToast({ kind: "info", text: asApiError(err).message }, INFO_NOTE_MS);
      }
      void tasks.reload();
    },
    [api, tasks, addToast, dismissToast],
  );

  const completeFromReminder = useCallback(
    async (toast: Toast) => {
      if (toast.taskId === undefined) return;
      dismissToast(toast.id);
      try {
        const saved = await api.setCompleted(toast.taskId, true);
        noteChange("completed", saved);
      } catch (err) {
        addToast({ kind: "info", text: asApiError(err).message }, INFO_NOTE_MS);
      }
      void tasks.reload();
    },
    [api, tasks, noteChange, addToast, dismissToast],
  );

  const setTimeZone = useCallback(
    async (zone: string): Promise<string | null> => {
      try {
        onUser(await api.setTimeZone(zone));
        void tasks.reload();
        return null;
      } catch (err) {
        return asApiError(err).message;
      }
    },
    [api, tasks, onUser],
  );

  const reloadTimer = useRef<number | undefined>(undefined);
  const onLiveEvent = useCallback(
    (event: LiveEvent) => {
      if (event.kind === "tasks") {
        window.clearTimeout(reloadTimer.current);
        reloadTimer.current = window.setTimeout(() => void tasks.reload(), EVENT_RELOAD_PAUSE_MS);
        return;
      }
      const text = reminderNote(event.title, event.dueAt, event.late, clock());
      addToast({ kind: "reminder", text, taskId: event.taskId });
      // The page's own note is enough while it is in front; a desktop one reaches a person looking elsewhere.
      if (typeof Notification !== "undefined" && Notification.permission === "granted" && document.hidden) {
        new Notification("Reminder", { body: text, tag: `reminder-${event.taskId}` });
      }
    },
    [tasks, addToast, clock],
  );
  useLiveEvents(api, config.apiBase, onLiveEvent, () => void tasks.reload());

  const focusInput = useCallback(() => window.setTimeout(() => inputRef.current?.focus(), 0), []);

  const showError = useCallback((err: ApiError) => {
    setError(err);
    setRetryAt(err.kind === "rate_limited" ? Date.now() + (err.retryAfterSeconds ?? 10) * 1000 : null);
  }, []);

  const send = useCallback(
    async (text: string) => {
      const controller = new AbortController();
      abortRef.current = controller;
      setError(null);
      setDraft("");
      setLastMessage(text);
      dispatch({ type: "send", text, userId: localId("u"), assistantId: localId("a") });
      let changed = false;
      try {
        for await (const event of api.chatStream(text, conversationRef.current, controller.signal)) {
          dispatch({ type: "event", event });
          if (event.type === "tool_call" && changesTasks(event.call)) {
            changed = true;
            void tasks.reload();
          } else if (event.type === "done") {
            if (event.reply.conversation_id) rememberConversation(event.reply.conversation_id);
            if (changed || event.reply.tool_calls.some(changesTasks)) void tasks.reload();
          } else if (event.type === "start") {
            rememberConversation(event.conversationId);
          } else if (event.type === "error") {
            showError(event.error);
          }
        }
        dispatch({ type: "finished" });
      } catch (err) {
        if (controller.signal.aborted) {
          // Stopped by the person: the server still finishes and stores the turn, so keep the message.
          dispatch({ type: "finished" });
        } else {
          dispatch({ type: "failed", error: asApiError(err) });
          showError(asApiError(err));
          // Give the words back so nothing typed is lost.
          setDraft((d) => d || text);
        }
      } finally {
        abortRef.current = null;
        void conversations.reload();
        focusInput();
      }
    },
    [api, tasks, conversations, showError, focusInput],
  );

  const open = useCallback(
    async (id: string) => {
      setView("chat");
      setError(null);
      setLoadingMessages(true);
      dispatch({ type: "load", conversationId: id, messages: [] });
      rememberConversation(id);
      try {
        dispatch({ type: "load", conversationId: id, messages: await api.messages(id) });
      } catch (err) {
        const e = asApiError(err);
        if (e.kind === "not_found") {
          dispatch({ type: "reset" });
          rememberConversation(null);
        }
        showError(e);
      } finally {
        setLoadingMessages(false);
        focusInput();
      }
    },
    [api, showError, focusInput],
  );

  const startNew = useCallback(() => {
    dispatch({ type: "reset" });
    rememberConversation(null);
    setError(null);
    setView("chat");
    focusInput();
  }, [focusInput]);

  const remove = useCallback(
    async (c: Conversation) => {
      if (!window.confirm(`Delete the conversation “${c.title}”? Your tasks stay.`)) return;
      try {
        await api.deleteConversation(c.id);
        if (conversationRef.current === c.id) {
          dispatch({ type: "reset" });
          rememberConversation(null);
        }
      } catch (err) {
        showError(asApiError(err));
      }
      await conversations.reload();
      newButtonRef.current?.focus();
    },
    [api, conversations, showError],
  );

  // Reopen the conversation named in the address (after a reload).
  useEffect(() => {
    const id = new URLSearchParams(window.location.search).get("c");
    if (id) void open(id);
    else focusInput();
  }, []); // once, on arrival: later changes to the address come from this page itself

  const pendingCount = tasks.pending;
  const views: Array<[View, string]> = [
    ["conversations", "Chats"],
    ["chat", "Chat"],
    ["tasks", pendingCount ? `Tasks (${pendingCount})` : "Tasks"],
  ];

  return (
    <div className="workspace" data-view={view}>
      <a className="skip-link" href="#message">
        Skip to message box
      </a>
      <header className="topbar">
        <h1>Todo Chat</h1>
        {config.appEnv !== "production" && <span className="badge">{config.appEnv}</span>}
        <span className="spacer" />
        <span className="muted small user" title={user.email}>
          {user.email}
        </span>
        <button type="button" className="ghost small" onClick={onSignOut}>
          Sign out
        </button>
      </header>
      <nav className="view-switch" aria-label="Sections">
        {views.map(([v, label]) => (
          <button key={v} type="button" aria-pressed={view === v} onClick={() => setView(v)}>
            {label}
          </button>
        ))}
      </nav>
      <div className="columns">
        <ConversationList
          items={conversations.items}
          error={conversations.error}
          currentId={chat.conversationId}
          busy={chat.streaming}
          newButtonRef={newButtonRef}
          onNew={startNew}
          onOpen={(id) => void open(id)}
          onDelete={(c) => void remove(c)}
        />
        <ChatPanel
          messages={chat.messages}
          streaming={chat.streaming}
          loading={loadingMessages}
          blocked={secondsLeft > 0}
          draft={draft}
          inputRef={inputRef}
          onDraft={(text) => {
            setDraft(text);
            inputRef.current?.focus();
          }}
          onSend={(text) => void send(text)}
          onStop={() => abortRef.current?.abort()}
          banner={
            error && (
              <Banner
                error={error}
                secondsLeft={secondsLeft}
                onRetry={lastMessage && !chat.streaming ? () => void send(lastMessage) : undefined}
                onDismiss={() => {
                  setError(null);
                  focusInput();
                }}
              />
            )
          }
        />
        <TaskPanel
          state={tasks}
          timeZone={timeZone}
          onCreate={createTask}
          onUpdate={updateTask}
          onToggle={(t) => void toggleTask(t)}
          onDelete={(t) => void deleteTask(t)}
          footer={<Settings timeZone={timeZone} onTimeZone={setTimeZone} />}
        />
      </div>
      <Toasts
        toasts={toasts}
        onUndo={(t) => void undo(t)}
        onDone={(t) => void completeFromReminder(t)}
        onDismiss={(t) => dismissToast(t.id)}
      />
      <footer className="footer muted small">
        Tools served over MCP at {typeof window === "undefined" ? "/mcp/" : mcpEndpoint(config, window.location.origin)}
      </footer>
    </div>
  );
}
