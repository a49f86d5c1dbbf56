"use client";

export interface Toast {
  id: string;
  kind: "change" | "reminder" | "info";
  text: string;
  /** For a reminder: the task it is about, which can be ticked off from here. */
  taskId?: number;
}

interface Props {
  toasts: Toast[];
  onUndo: (t: Toast) => void;
  onDone: (t: Toast) => void;
  onDismiss: (t: Toast) => void;
}

/** Short-lived notes over the page: what just changed (with Undo), and reminders as they come due. */
export default function Toasts({ toasts, onUndo, onDone, onDismiss }: Props) {
  return (
    <div className="toasts" aria-label="Notifications" role="region">
      {toasts.map((t) => (
        <div key={t.id} className={`toast toast-${t.kind}`} role={t.kind === "reminder" ? "alert" : "status"}>
          <p>{t.text}</p>
          <div className="toast-actions">
            {t.kind === "change" && (
              <button type="button" className="small" onClick={() => onUndo(t)}>
                Undo
              </button>
            )}
            {t.kind === "reminder" && t.taskId !== undefined && (
              <button type="button" className="small" onClick={() => onDone(t)}>
                Mark done
              </button>
            )}
            <button type="button" className="ghost small" onClick={() => onDismiss(t)} aria-label="Dismiss">
              ✕
            </button>
          </div>
        </div>
      ))}
    </div>
  );
}
