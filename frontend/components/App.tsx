"use client";

import { useCallback, useEffect, useMemo, useState } from "react";
import { ApiClient } from "@/lib/api";
import { config } from "@/lib/config";
import { installSentry } from "@/lib/sentry";
import { installTracing, tracingSettings } from "@/lib/tracing";
import type { User } from "@/lib/types";
import AuthForm from "./AuthForm";
import MaintenanceBanner from "./MaintenanceBanner";
import Workspace from "./Workspace";

type AuthState = { status: "checking" } | { status: "signedOut"; expired: boolean } | { status: "signedIn"; user: User };

export default function App() {
  const [auth, setAuth] = useState<AuthState>({ status: "checking" });

  const api = useMemo(
    () =>
      new ApiClient({
        base: config.apiBase,
        onSignedOut: () => setAuth((s) => ({ status: "signedOut", expired: s.status === "signedIn" })),
      }),
    [],
  );

  useEffect(() => {
    let live = true;
    void installSentry(config.sentryDsn, config.appEnv);
    // The first request waits for tracing (when it is on), so the page's first action is traced too.
    installTracing(tracingSettings(config))
      .then(() => api.me())
      .then((user) => live && setAuth({ status: "signedIn", user }))
      .catch(() => live && setAuth({ status: "signedOut", expired: false }));
    return () => {
      live = false;
    };
  }, [api]);

  const signOut = useCallback(async () => {
    try {
      await api.logout();
    } catch {
      // Already signed out on the server: the cookies are gone either way.
    }
    setAuth({ status: "signedOut", expired: false });
  }, [api]);

  if (auth.status === "checking") {
    return (
      <main className="center" aria-busy="true">
        <p role="status">Loading…</p>
      </main>
    );
  }
  if (auth.status === "signedOut") {
    return (
      <>
        <MaintenanceBanner api={api} />
        <AuthForm api={api} expired={auth.expired} onSignedIn={(user) => setAuth({ status: "signedIn", user })} />
      </>
    );
  }
  return (
    <div className="frame">
      <MaintenanceBanner api={api} timeZone={auth.user.timezone} />
      <Workspace
        api={api}
        user={auth.user}
        onUser={(user) => setAuth({ status: "signedIn", user })}
        onSignOut={signOut}
      />
    </div>
  );
}
