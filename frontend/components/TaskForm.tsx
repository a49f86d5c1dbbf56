"use client";

import { type FormEvent, useId, useRef, useState } from "react";
import {
  emptyForm,
  formFromTask,
  KEEP_REMINDER,
  PRIORITIES,
  REMINDERS,
  REPEATS,
  type TaskForm as Form,
  taskFields,
  withCurrent,
} from "@/lib/taskForm";
import type { Task, TaskFields } from "@/lib/types";
import { whenLabel } from "@/lib/when";

interface Props {
  /** The task being edited; absent for the add form. */
  task?: Task;
  timeZone: string;
  /** The person's local date (YYYY-MM-DD), for a time given without a date. */
  today: string;
  /** Resolves null when saved, or the server's reason, which the form shows, keeping what was typed. */
  onSave: (fields: TaskFields) => Promise<string | null>;
  onCancel?: () => void;
}

/** Add or edit a task: a title first, the planning fields one click away when adding. */
export default function TaskForm({ task, timeZone, today, onSave, onCancel }: Props) {
  const id = useId();
  const [form, setForm] = useState<Form>(() => (task ? formFromTask(task) : emptyForm));
  const [open, setOpen] = useState(Boolean(task));
  const [problem, setProblem] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const titleRef = useRef<HTMLInputElement>(null);
  const set = <K extends keyof Form>(key: K, value: Form[K]) => setForm((f) => ({ ...f, [key]: value }));

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const result = taskFields(form, today, task);
    if (!result.ok) {
      setProblem(result.message);
      return;
    }
    if (task && Object.keys(result.fields).length === 0) {
      onCancel?.();
      return;
    }
    setProblem(null);
    setSaving(true);
    const refused = await onSave(result.fields);
    setSaving(false);
    setProblem(refused);
    if (!refused && !task) {
      setForm(emptyForm);
      setOpen(false);
      titleRef.current?.focus();
    }
  };

  const repeats = withCurrent(REPEATS, task?.recurrence ?? "", task?.recurrence_text ?? task?.recurrence ?? "");
  const fixedReminder =
    task?.remind_at && !task.remind_before
      ? `At ${whenLabel(task.remind_at, { timeZone, now: new Date() })}`
      : "At a set time";
  const reminders = withCurrent(REMINDERS, form.remind === KEEP_REMINDER ? KEEP_REMINDER : "", fixedReminder);
  const label = task ? `Edit “${task.title}”` : "Add a task";

  return (
    <form className={task ? "task-form editing" : "task-form"} aria-label={label} onSubmit={(e) => void submit(e)} noValidate>
      <div className="task-form-row">
        <label htmlFor={`${id}-title`} className={task ? "field-label" : "sr-only"}>
          Title
        </label>
        <input
          id={`${id}-title`}
          ref={titleRef}
          type="text"
          value={form.title}
          maxLength={200}
          placeholder="Add a task…"
          autoComplete="off"
          onChange={(e) => set("title", e.target.value)}
        />
        {!task && (
          <button type="submit" className="primary" disabled={saving}>
            Add
          </button>
        )}
      </div>
      {!task && (
        <button
          type="button"
          className="link small"
          aria-expanded={open}
          aria-controls={`${id}-details`}
          onClick={() => setOpen((o) => !o)}
        >
          {open ? "Fewer options" : "Date, priority, tags…"}
        </button>
      )}
      {open && (
        <div className="task-form-details" id={`${id}-details`}>
          <label htmlFor={`${id}-date`}>Due date</label>
          <input id={`${id}-date`} type="date" value={form.date} onChange={(e) => set("date", e.target.value)} />
          <label htmlFor={`${id}-time`}>Time</label>
          <input id={`${id}-time`} type="time" value={form.time} onChange={(e) => set("time", e.target.value)} />
          <label htmlFor={`${id}-priority`}>Priority</label>
          <select
            id={`${id}-priority`}
            value={form.priority}
            onChange={(e) => set("priority", e.target.value as Form["priority"])}
          >
            {PRIORITIES.map(([value, text]) => (
              <option key={value} value={value}>
                {text}
              </option>
            ))}
          </select>
          <label htmlFor={`${id}-tags`}>Tags</label>
          <input
            id={`${id}-tags`}
            type="text"
            value={form.tags}
            placeholder="#work #home"
            autoComplete="off"
            onChange={(e) => set("tags", e.target.value)}
          />
          <label htmlFor={`${id}-repeat`}>Repeat</label>
          <select id={`${id}-repeat`} value={form.repeat} onChange={(e) => set("repeat", e.target.value)}>
            {repeats.map(([value, text]) => (
              <option key={value} value={value}>
                {text}
              </option>
            ))}
          </select>
          <label htmlFor={`${id}-remind`}>Reminder</label>
          <select id={`${id}-remind`} value={form.remind} onChange={(e) => set("remind", e.target.value)}>
            {reminders.map(([value, text]) => (
              <option key={value} value={value}>
                {text}
              </option>
            ))}
          </select>
          <label htmlFor={`${id}-description`}>Notes</label>
          <textarea
            id={`${id}-description`}
            rows={2}
            maxLength={1000}
            value={form.description}
            onChange={(e) => set("description", e.target.value)}
          />
        </div>
      )}
      {problem && (
        <p className="error small" role="alert">
          {problem}
        </p>
      )}
      {task && (
        <div className="task-form-actions">
          <button type="submit" className="primary small" disabled={saving}>
            Save
          </button>
          <button type="button" className="ghost small" onClick={onCancel}>
            Cancel
          </button>
        </div>
      )}
    </form>
  );
}
