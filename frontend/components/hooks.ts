"use client";

import { useCallback, useEffect, useRef, useState } from "react";
import type { ApiClient } from "@/lib/api";
import { ApiError, networkError } from "@/lib/errors";
import type { Conversation, Task, TaskFilter } from "@/lib/types";

export function asApiError(err: unknown): ApiError {
  return err instanceof ApiError ? err : networkError(err);
}

/** The signed-in person's tasks, reloadable, with optimistic ticking. */
export function useTasks(api: ApiClient) {
  const [tasks, setTasks] = useState<Task[] | null>(null);
  const [filter, setFilter] = useState<TaskFilter>("all");
  const [error, setError] = useState<ApiError | null>(null);
  const [loading, setLoading] = useState(true);
  // Each reload or tick starts a new generation; answers from an older one are stale and dropped.
  const generation = useRef(0);
  const inFlight = useRef(0);

  const reload = useCallback(async () => {
    const mine = ++generation.current;
    inFlight.current++;
    setLoading(true);
    try {
      const page = await api.listTasks("all");
      if (mine === generation.current) {
        setTasks(page.items);
        setError(null);
      }
    } catch (err) {
      if (mine === generation.current) setError(asApiError(err));
    } finally {
      if (--inFlight.current === 0) setLoading(false);
    }
  }, [api]);

  const toggle = useCallback(
    async (task: Task) => {
      const completed = !task.completed;
      // A list fetched before this tick would undo it on screen: drop it, and fetch again afterwards.
      const reloadAfter = inFlight.current > 0;
      generation.current++;
      setTasks((list) => list?.map((t) => (t.id === task.id ? { ...t, completed } : t)) ?? list);
      try {
        const saved = await api.setCompleted(task.id, completed);
        setTasks((list) => list?.map((t) => (t.id === saved.id ? { ...t, ...saved } : t)) ?? list);
        setError(null);
      } catch (err) {
        setTasks((list) => list?.map((t) => (t.id === task.id ? { ...t, completed: task.completed } : t)) ?? list);
        setError(asApiError(err));
      }
      if (reloadAfter) void reload();
    },
    [api, reload],
  );

  useEffect(() => {
    void reload();
  }, [reload]);

  const shown = tasks?.filter((t) => filter === "all" || (filter === "completed") === t.completed) ?? null;
  return { tasks, shown, filter, setFilter, error, loading, reload, toggle };
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
