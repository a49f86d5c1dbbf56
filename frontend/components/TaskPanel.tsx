"use client";

import type { ApiError } from "@/lib/errors";
import type { Task, TaskFilter } from "@/lib/types";

interface Props {
  tasks: Task[] | null;
  shown: Task[] | null;
  filter: TaskFilter;
  loading: boolean;
  error: ApiError | null;
  onFilter: (f: TaskFilter) => void;
  onToggle: (t: Task) => void;
  onReload: () => void;
}

const FILTERS: Array<[TaskFilter, string]> = [
  ["all", "All"],
  ["pending", "To do"],
  ["completed", "Done"],
];

export default function TaskPanel({ tasks, shown, filter, loading, error, onFilter, onToggle, onReload }: Props) {
  const pending = tasks?.filter((t) => !t.completed).length ?? 0;
  const done = (tasks?.length ?? 0) - pending;
  return (
    <section className="panel tasks" aria-labelledby="tasks-heading" aria-busy={loading}>
      <div className="panel-head">
        <h2 id="tasks-heading">Tasks</h2>
        <button type="button" className="ghost small" onClick={onReload} disabled={loading}>
          Refresh
        </button>
      </div>
      <p className="muted small" role="status">
        {tasks === null ? (loading ? "Loading tasks…" : "") : `${pending} to do · ${done} done`}
      </p>
      <fieldset className="filters">
        <legend className="sr-only">Show</legend>
        {FILTERS.map(([value, label]) => (
          <label key={value} className={filter === value ? "filter selected" : "filter"}>
            <input
              type="radio"
              name="task-filter"
              value={value}
              checked={filter === value}
              onChange={() => onFilter(value)}
            />
            {label}
          </label>
        ))}
      </fieldset>
      {error && (
        <p className="error" role="alert">
          {error.message}
        </p>
      )}
      {shown !== null && shown.length === 0 && (
        <p className="muted empty">
          {tasks && tasks.length > 0
            ? "Nothing here."
            : "No tasks yet. Ask the assistant: “add a task to buy milk”."}
        </p>
      )}
      {shown !== null && shown.length > 0 && (
        <ul className="task-list">
          {shown.map((t) => (
            <li key={t.id} className={t.completed ? "task done" : "task"}>
              <input id={`task-${t.id}`} type="checkbox" checked={t.completed} onChange={() => onToggle(t)} />
              <label htmlFor={`task-${t.id}`}>
                <span className="task-title">{t.title}</span>
                {t.description && <span className="muted small task-description">{t.description}</span>}
              </label>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
