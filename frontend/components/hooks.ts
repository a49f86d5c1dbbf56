"use client";

import { useCallback, useEffect, useRef, useState } from "react";
import type { ApiClient } from "@/lib/api";
import { ApiError, networkError } from "@/lib/errors";
import { eventsUrl, type LiveEvent, liveEventFrom, reconnectDelay } from "@/lib/liveEvents";
import type { Conversation, TagCount, Task, TaskQuery } from "@/lib/types";

export function asApiError(err: unknown): ApiError {
  return err instanceof ApiError ? err : networkError(err);
}

const FIRST_VIEW: TaskQuery = { view: "all", tag: null, search: "" };
const SEARCH_PAUSE_MS = 250;

/** The signed-in person's tasks in the chosen view, the number still to do, and their tags; reloadable. */
export function useTasks(api: ApiClient) {
  const [query, setQuery] = useState<TaskQuery>(FIRST_VIEW);
  const [tasks, setTasks] = useState<Task[] | null>(null);
  const [pending, setPending] = useState<number | null>(null);
  const [tags, setTags] = useState<TagCount[]>([]);
  const [error, setError] = useState<ApiError | null>(null);
  const [loading, setLoading] = useState(true);
  // Each reload or change starts a new generation; answers from an older one are stale and dropped.
  const generation = useRef(0);
  const inFlight = useRef(0);
  const queryRef = useRef(query);
  queryRef.current = query;

  const reload = useCallback(async () => {
    const mine = ++generation.current;
    inFlight.current++;
    setLoading(true);
    try {
      const [page, todo, tagList] = await Promise.all([
        api.listTasks(queryRef.current),
        api.listTasks({ view: "pending", tag: null, search: "" }, 1),
        api.tags(),
      ]);
      if (mine === generation.current) {
        setTasks(page.items);
        setPending(todo.total);
        setTags(tagList);
        setError(null);
      }
    } catch (err) {
      if (mine === generation.current) setError(asApiError(err));
    } finally {
      if (--inFlight.current === 0) setLoading(false);
    }
  }, [api]);

  /** Show `task` as the server now has it, or drop it (null) from the list at once; a reload follows. */
  const patch = useCallback((id: number, task: Task | null) => {
    generation.current++;
    setTasks((list) => (task ? list?.map((t) => (t.id === id ? task : t)) : list?.filter((t) => t.id !== id)) ?? list);
  }, []);

  const toggle = useCallback(
    async (task: Task): Promise<Task | null> => {
      const completed = !task.completed;
      patch(task.id, { ...task, completed });
      try {
        const saved = await api.setCompleted(task.id, completed);
        patch(task.id, saved);
        setError(null);
        return saved;
      } catch (err) {
        patch(task.id, task);
        setError(asApiError(err));
        return null;
      } finally {
        void reload();
      }
    },
    [api, patch, reload],
  );

  const previousSearch = useRef(query.search);
  useEffect(() => {
    // Typing in the search box waits for a pause; every other change of view reloads at once.
    const typing = previousSearch.current !== query.search;
    previousSearch.current = query.search;
    const timer = window.setTimeout(() => void reload(), typing ? SEARCH_PAUSE_MS : 0);
    return () => window.clearTimeout(timer);
  }, [query, reload]);

  return { tasks, pending, tags, query, setQuery, error, setError, loading, reload, patch, toggle };
}

export type TasksState = ReturnType<typeof useTasks>;

/**
 * Follow the person's event stream: `onEvent` for each event, `onReconnect` after a gap (to refetch).
 * EventSource retries a dropped connection by itself but gives up for good on an error status such as 401; then
 * the access cookie is refreshed and a new stream opened, backing off while that keeps failing.
 */
export function useLiveEvents(api: ApiClient, base: string, onEvent: (e: LiveEvent) => void, onReconnect: () => void) {
  const handlers = useRef({ onEvent, onReconnect });
  handlers.current = { onEvent, onReconnect };

  useEffect(() => {
    if (typeof EventSource === "undefined") return;
    let source: EventSource | null = null;
    let timer: number | undefined;
    let attempt = 0;
    let lastId: string | null = null;
    let stopped = false;

    const open = () => {
      if (stopped) return;
      const stream = new EventSource(eventsUrl(base, lastId), { withCredentials: true });
      source = stream;
      const receive = (type: string) => (message: MessageEvent<string>) => {
        if (message.lastEventId) lastId = message.lastEventId;
        const event = liveEventFrom(type, message.data);
        if (event) handlers.current.onEvent(event);
      };
      stream.addEventListener("tasks", receive("tasks"));
      stream.addEventListener("reminder", receive("reminder"));
      stream.onopen = () => {
        if (attempt > 0) handlers.current.onReconnect();
        attempt = 0;
      };
      stream.onerror = () => {
        if (stream.readyState !== EventSource.CLOSED) {
          attempt = Math.max(attempt, 1); // the browser reconnects by itself; refetch once it does
          return;
        }
        stream.close();
        retry();
      };
    };
    // `me()` refreshes an expired access cookie on its own way (and signs the person out when that fails too).
    const retry = () => {
      timer = window.setTimeout(() => void api.me().then(open, () => !stopped && retry()), reconnectDelay(attempt++));
    };

    open();
    return () => {
      stopped = true;
      window.clearTimeout(timer);
      source?.close();
    };
  }, [api, base]);
}

/** The conversation list, newest first as the API gives it. */
export function useConversations(api: ApiClient) {
  const [items, setItems] = useState<Conversation[] | null>(null);
  const [error, setError] = useState<ApiError | null>(null);

  const reload = useCallback(async () => {
    try {
      setItems(await api.conversations());
      setError(null);
    } catch (err) {
      setError(asApiError(err));
    }
  }, [api]);

  useEffect(() => {
    void reload();
  }, [reload]);

  return { items, error, reload };
}

/** Seconds left until `until` (ms since epoch), ticking once a second; 0 when past or unset. */
export function useCountdown(until: number | null): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (until === null) return;
    setNow(Date.now());
    const timer = window.setInterval(() => setNow(Date.now()), 1000);
    return () => window.clearInterval(timer);
  }, [until]);
  return until === null ? 0 : Math.max(0, Math.ceil((until - now) / 1000));
}
