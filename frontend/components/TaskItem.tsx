"use client";

import type { Task } from "@/lib/types";
import { whenLabel } from "@/lib/when";

interface Props {
  task: Task;
  timeZone: string;
  now: Date;
  onToggle: () => void;
  onEdit: () => void;
  onDelete: () => void;
  onTag: (tag: string) => void;
}

const PRIORITY_TEXT = { low: "Low", medium: "Medium", high: "High", urgent: "Urgent" } as const;

/** One task: tick box, number (the one chat speaks of) and title, then when it is due, how important, how it repeats, its reminder and tags. */
export default function TaskItem({ task, timeZone, now, onToggle, onEdit, onDelete, onTag }: Props) {
  const overdue = task.due_state === "overdue" && !task.completed;
  const due = task.due_at ? whenLabel(task.due_at, { timeZone, now, allDay: task.all_day }) : null;
  const remind = task.remind_at && !task.completed ? whenLabel(task.remind_at, { timeZone, now }) : null;
  return (
    <li className={task.completed ? "task done" : "task"}>
      <input id={`task-${task.id}`} type="checkbox" checked={task.completed} onChange={onToggle} />
      <div className="task-body">
        <label htmlFor={`task-${task.id}`}>
          <span className="task-title">
            <span className="task-number">#{task.id}</span> {task.title}
          </span>
          {task.description && <span className="muted small task-description">{task.description}</span>}
        </label>
        <div className="task-meta">
          {due && (
            <span className={overdue ? "meta due overdue" : `meta due ${task.due_state ?? ""}`}>
              {overdue ? `Overdue · ${due}` : due}
            </span>
          )}
          {task.priority && <span className={`meta priority priority-${task.priority}`}>{PRIORITY_TEXT[task.priority]}</span>}
          {task.recurrence && (
            <span className="meta" title={task.recurrence}>
              <span aria-hidden="true">↻ </span>
              {task.recurrence_text ?? "repeats"}
            </span>
          )}
          {remind && (
            <span className="meta">Reminder {remind}</span>
          )}
          {(task.tags ?? []).map((tag) => (
            <button key={tag} type="button" className="meta tag" onClick={() => onTag(tag)} aria-label={`Show #${tag}`}>
              #{tag}
            </button>
          ))}
        </div>
      </div>
      <div className="task-actions">
        <button type="button" className="ghost small" onClick={onEdit} aria-label={`Edit “${task.title}”`}>
          Edit
        </button>
        <button type="button" className="ghost small" onClick={onDelete} aria-label={`Delete “${task.title}”`}>
          Delete
        </button>
      </div>
    </li>
  );
}
