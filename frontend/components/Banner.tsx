"use client";

import type { ApiError } from "@/lib/errors";

interface Props {
  error: ApiError;
  secondsLeft: number;
  onRetry?: () => void;
  onDismiss: () => void;
}

/** The one place a failed chat shows: rate limited, model unavailable, offline, or anything else. */
export default function Banner({ error, secondsLeft, onRetry, onDismiss }: Props) {
  let title: string;
  let body: string;
  switch (error.kind) {
    case "rate_limited":
      title = "Slow down a little";
      body = secondsLeft > 0 ? `Too many messages at once. You can send again in ${secondsLeft} s.` : "You can send again now.";
      break;
    case "model_unavailable":
      title = "The assistant is unavailable";
      body = "The model isn't answering right now. Your tasks are still here: tick them off in the task list, or try again in a minute.";
      break;
    case "network":
      title = "You're offline";
      body = error.message;
      break;
    default:
      title = "That didn't work";
      body = error.message;
  }
  const canRetry = onRetry && error.kind !== "invalid" && !(error.kind === "rate_limited" && secondsLeft > 0);
  return (
    <div className={`banner banner-${error.kind}`} role="alert">
      <div>
        <strong>{title}</strong>
        <p>{body}</p>
        {error.requestId && <p className="muted small">Reference: {error.requestId}</p>}
      </div>
      <div className="banner-actions">
        {canRetry && (
          <button type="button" onClick={onRetry}>
            Try again
          </button>
        )}
        <button type="button" className="ghost" onClick={onDismiss} aria-label="Dismiss message">
          ✕
        </button>
      </div>
    </div>
  );
}
