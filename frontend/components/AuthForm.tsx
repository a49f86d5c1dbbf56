"use client";

import { type FormEvent, useEffect, useRef, useState } from "react";
import type { ApiClient } from "@/lib/api";
import type { User } from "@/lib/types";
import { asApiError } from "./hooks";

interface Props {
  api: ApiClient;
  expired: boolean;
  onSignedIn: (user: User) => void;
}

export default function AuthForm({ api, expired, onSignedIn }: Props) {
  const [mode, setMode] = useState<"signin" | "signup">("signin");
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const emailRef = useRef<HTMLInputElement>(null);
  const errorRef = useRef<HTMLParagraphElement>(null);

  useEffect(() => emailRef.current?.focus(), [mode]);
  useEffect(() => {
    if (error) errorRef.current?.focus();
  }, [error]);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      if (mode === "signup") await api.register(email, password);
      onSignedIn(await api.login(email, password));
    } catch (err) {
      const e = asApiError(err);
      setError(
        mode === "signin" && e.kind === "unauthorized" ? "That email and password don't match an account." : e.message,
      );
      setBusy(false);
    }
  }

  const signup = mode === "signup";
  return (
    <main className="auth">
      <form className="auth-card" onSubmit={submit} aria-describedby={expired ? "auth-expired" : undefined}>
        <h1>Todo Chat</h1>
        <p className="muted">A todo list you manage by chatting with it.</p>
        {expired && (
          <p id="auth-expired" className="notice" role="status">
            Your session has ended. Sign in again to pick up where you left off.
          </p>
        )}
        <h2>{signup ? "Create an account" : "Sign in"}</h2>
        <label htmlFor="email">Email</label>
        <input
          ref={emailRef}
          id="email"
          type="email"
          autoComplete="email"
          required
          value={email}
          onChange={(e) => setEmail(e.target.value)}
        />
        <label htmlFor="password">Password</label>
        <input
          id="password"
          type="password"
          autoComplete={signup ? "new-password" : "current-password"}
          required
          minLength={signup ? 8 : undefined}
          aria-describedby={signup ? "password-hint" : undefined}
          value={password}
          onChange={(e) => setPassword(e.target.value)}
        />
        {signup && (
          <p id="password-hint" className="hint">
            At least 8 characters.
          </p>
        )}
        {error && (
          <p ref={errorRef} tabIndex={-1} className="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" className="primary" disabled={busy}>
          {busy ? "Please wait…" : signup ? "Create account" : "Sign in"}
        </button>
        <p className="switch">
          {signup ? "Already have an account?" : "New here?"}{" "}
          <button
            type="button"
            className="link"
            onClick={() => {
              setMode(signup ? "signin" : "signup");
              setError(null);
            }}
          >
            {signup ? "Sign in" : "Create an account"}
          </button>
        </p>
      </form>
    </main>
  );
}
