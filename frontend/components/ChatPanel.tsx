"use client";

import { type FormEvent, type KeyboardEvent, type RefObject, useEffect, useRef } from "react";
import type { ChatMessage } from "@/lib/types";
import ToolChips from "./ToolChips";

interface Props {
  messages: ChatMessage[];
  streaming: boolean;
  loading: boolean;
  blocked: boolean;
  draft: string;
  inputRef: RefObject<HTMLTextAreaElement | null>;
  banner: React.ReactNode;
  onDraft: (text: string) => void;
  onSend: (text: string) => void;
  onStop: () => void;
}

const EXAMPLES = ["add a task to buy milk", "what's still pending?", "mark the milk one done"];

export default function ChatPanel({
  messages,
  streaming,
  loading,
  blocked,
  draft,
  inputRef,
  banner,
  onDraft,
  onSend,
  onStop,
}: Props) {
  const endRef = useRef<HTMLDivElement>(null);
  const last = messages[messages.length - 1];

  useEffect(() => {
    endRef.current?.scrollIntoView?.({ block: "end" });
  }, [messages.length, last?.content, last?.toolCalls.length]);

  // The box grows with what is typed, up to its CSS max-height.
  useEffect(() => {
    const box = inputRef.current;
    if (!box) return;
    box.style.height = "auto";
    box.style.height = `${box.scrollHeight + 2}px`;
  }, [draft, inputRef]);

  function submit(event: FormEvent) {
    event.preventDefault();
    const text = draft.trim();
    if (text && !streaming && !blocked) onSend(text);
  }

  function onKeyDown(event: KeyboardEvent<HTMLTextAreaElement>) {
    // Enter sends, Shift+Enter breaks the line, as in other chat apps.
    if (event.key === "Enter" && !event.shiftKey && !event.nativeEvent.isComposing) submit(event);
  }

  return (
    <section className="panel chat" aria-labelledby="chat-heading">
      <h2 id="chat-heading" className="sr-only">
        Chat
      </h2>
      <div className="messages" role="log" aria-live="polite" aria-busy={streaming || loading} aria-label="Messages">
        {loading && (
          <p className="muted" role="status">
            Loading messages…
          </p>
        )}
        {!loading && messages.length === 0 && (
          <div className="empty-chat">
            <p>Tell me what you need to do. For example:</p>
            <ul>
              {EXAMPLES.map((text) => (
                <li key={text}>
                  <button type="button" className="example" onClick={() => onDraft(text)}>
                    {text}
                  </button>
                </li>
              ))}
            </ul>
          </div>
        )}
        {messages.map((m) => (
          <article
            key={m.id}
            className={`message ${m.role}${m.failed ? " failed" : ""}`}
            aria-label={m.role === "user" ? "You said" : "Assistant replied"}
          >
            <ToolChips calls={m.toolCalls} />
            {m.content && <p className="bubble">{m.content}</p>}
            {m.streaming && !m.content && (
              <p className="bubble typing" aria-label="Assistant is typing">
                <span aria-hidden="true">•••</span>
              </p>
            )}
            {m.failed && <p className="small error-text">The reply was cut off.</p>}
          </article>
        ))}
        <div ref={endRef} />
      </div>
      <p className="sr-only" role="status">
        {streaming ? "Assistant is replying…" : ""}
      </p>
      {banner}
      <form className="composer" onSubmit={submit}>
        <label htmlFor="message" className="sr-only">
          Message
        </label>
        <textarea
          ref={inputRef}
          id="message"
          rows={1}
          placeholder="Message the assistant… (Enter to send)"
          value={draft}
          onChange={(e) => onDraft(e.target.value)}
          onKeyDown={onKeyDown}
          maxLength={4000}
        />
        {streaming ? (
          <button type="button" onClick={onStop}>
            Stop
          </button>
        ) : (
          <button type="submit" className="primary" disabled={!draft.trim() || blocked}>
            Send
          </button>
        )}
      </form>
    </section>
  );
}
