"use client";

import type { RefObject } from "react";
import type { ApiError } from "@/lib/errors";
import type { Conversation } from "@/lib/types";

interface Props {
  items: Conversation[] | null;
  error: ApiError | null;
  currentId: string | null;
  busy: boolean;
  newButtonRef: RefObject<HTMLButtonElement | null>;
  onNew: () => void;
  onOpen: (id: string) => void;
  onDelete: (c: Conversation) => void;
}

function when(iso: string | null): string {
  if (!iso) return "";
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? "" : d.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

export default function ConversationList({ items, error, currentId, busy, newButtonRef, onNew, onOpen, onDelete }: Props) {
  return (
    <nav className="panel conversations" aria-labelledby="conversations-heading">
      <div className="panel-head">
        <h2 id="conversations-heading">Conversations</h2>
        <button ref={newButtonRef} type="button" className="primary small" onClick={onNew} disabled={busy}>
          New chat
        </button>
      </div>
      {error && (
        <p className="error" role="alert">
          {error.message}
        </p>
      )}
      {items === null && !error && (
        <p className="muted" role="status" aria-busy="true">
          Loading conversations…
        </p>
      )}
      {items !== null && items.length === 0 && <p className="muted">No conversations yet. Say hello to start one.</p>}
      {items !== null && items.length > 0 && (
        <ul className="conversation-list">
          {items.map((c) => (
            <li key={c.id} className={c.id === currentId ? "current" : undefined}>
              <button
                type="button"
                className="conversation-open"
                aria-current={c.id === currentId ? "true" : undefined}
                disabled={busy}
                onClick={() => onOpen(c.id)}
              >
                <span className="conversation-title">{c.title}</span>
                {c.updatedAt && <span className="muted small">{when(c.updatedAt)}</span>}
              </button>
              <button
                type="button"
                className="ghost icon"
                aria-label={`Delete conversation: ${c.title}`}
                disabled={busy}
                onClick={() => onDelete(c)}
              >
                <svg aria-hidden="true" focusable="false" width="18" height="18" viewBox="0 0 24 24" fill="none"
                  stroke="currentColor" strokeWidth="2" strokeLinecap="round" strokeLinejoin="round">
                  <path d="M3 6h18M8 6V4h8v2M6 6l1 14h10l1-14M10 11v6M14 11v6" />
                </svg>
              </button>
            </li>
          ))}
        </ul>
      )}
    </nav>
  );
}
