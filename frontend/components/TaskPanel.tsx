"use client";

import { type ReactNode, useEffect, useState } from "react";
import { describeQuery, VIEWS } from "@/lib/taskQuery";
import type { Task, TaskFields } from "@/lib/types";
import { localDate } from "@/lib/when";
import type { TasksState } from "./hooks";
import TaskForm from "./TaskForm";
import TaskItem from "./TaskItem";

interface Props {
  state: TasksState;
  timeZone: string;
  onCreate: (fields: TaskFields) => Promise<string | null>;
  onUpdate: (task: Task, fields: TaskFields) => Promise<string | null>;
  onToggle: (task: Task) => void;
  onDelete: (task: Task) => void;
  /** Settings shown under the list (time zone, notifications). */
  footer?: ReactNode;
}

/** A clock that moves on each minute, so "Today 17:00" turns into "Overdue" without a reload. */
function useMinute(): Date {
  const [now, setNow] = useState(() => new Date());
  useEffect(() => {
    const timer = window.setInterval(() => setNow(new Date()), 60_000);
    return () => window.clearInterval(timer);
  }, []);
  return now;
}

export default function TaskPanel({ state, timeZone, onCreate, onUpdate, onToggle, onDelete, footer }: Props) {
  const { tasks, pending, tags, query, setQuery, loading, error, reload } = state;
  const [editing, setEditing] = useState<number | null>(null);
  const now = useMinute();
  const today = localDate(now, timeZone);
  const filtered = query.view !== "all" || query.tag !== null || query.search.trim() !== "";

  return (
    <section className="panel tasks" aria-labelledby="tasks-heading" aria-busy={loading}>
      <div className="panel-head">
        <h2 id="tasks-heading">Tasks</h2>
        <button type="button" className="ghost small" onClick={() => void reload()} disabled={loading}>
          Refresh
        </button>
      </div>
      <TaskForm timeZone={timeZone} today={today} onSave={onCreate} />
      <p className="muted small" role="status">
        {tasks === null ? (loading ? "Loading tasks…" : "") : `${pending ?? 0} to do${filtered ? ` · ${tasks.length} in ${describeQuery(query)}` : ""}`}
      </p>
      <fieldset className="filters">
        <legend className="sr-only">Show</legend>
        {VIEWS.map(([value, label]) => (
          <label key={value} className={query.view === value ? "filter selected" : "filter"}>
            <input
              type="radio"
              name="task-filter"
              value={value}
              checked={query.view === value}
              onChange={() => setQuery((q) => ({ ...q, view: value }))}
            />
            {label}
          </label>
        ))}
      </fieldset>
      <div className="task-finders">
        <label className="sr-only" htmlFor="task-search">
          Search tasks
        </label>
        <input
          id="task-search"
          type="search"
          placeholder="Search tasks"
          value={query.search}
          maxLength={200}
          onChange={(e) => setQuery((q) => ({ ...q, search: e.target.value }))}
        />
        <label className="sr-only" htmlFor="task-tag">
          Tag
        </label>
        <select
          id="task-tag"
          value={query.tag ?? ""}
          onChange={(e) => setQuery((q) => ({ ...q, tag: e.target.value || null }))}
        >
          <option value="">All tags</option>
          {query.tag && !tags.some((t) => t.name === query.tag) && <option value={query.tag}>#{query.tag}</option>}
          {tags.map((t) => (
            <option key={t.name} value={t.name}>
              #{t.name} ({t.count})
            </option>
          ))}
        </select>
      </div>
      {error && (
        <p className="error" role="alert">
          {error.message}
        </p>
      )}
      {tasks !== null && tasks.length === 0 && (
        <p className="muted empty">
          {filtered ? "Nothing here." : "No tasks yet. Add one above, or ask the assistant: “add a task to buy milk”."}
        </p>
      )}
      {tasks !== null && tasks.length > 0 && (
        <ul className="task-list">
          {tasks.map((t) =>
            editing === t.id ? (
              <li key={t.id} className="task">
                <TaskForm
                  task={t}
                  timeZone={timeZone}
                  today={today}
                  onSave={async (fields) => {
                    const refused = await onUpdate(t, fields);
                    if (!refused) setEditing(null);
                    return refused;
                  }}
                  onCancel={() => setEditing(null)}
                />
              </li>
            ) : (
              <TaskItem
                key={t.id}
                task={t}
                timeZone={timeZone}
                now={now}
                onToggle={() => onToggle(t)}
                onEdit={() => setEditing(t.id)}
                onDelete={() => onDelete(t)}
                onTag={(tag) => setQuery((q) => ({ ...q, tag }))}
              />
            ),
          )}
        </ul>
      )}
      {footer && <div className="task-footer">{footer}</div>}
    </section>
  );
}
