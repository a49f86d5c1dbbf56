"use client";

import { useEffect, useState } from "react";
import type { ApiClient } from "@/lib/api";
import { dismissKey, type MaintenanceState, noticeFor, noticeTitle, windowLabel } from "@/lib/maintenance";

const DISMISSED = "todochat.maintenance.dismissed";
const REFRESH_MS = 10 * 60 * 1000; // a window announced 48 hours ahead: every ten minutes is soon enough

function readDismissed(): Set<string> {
  try {
    return new Set(JSON.parse(localStorage.getItem(DISMISSED) ?? "[]") as string[]);
  } catch {
    return new Set();
  }
}

/** The deployment's "48-hour advance notice": a window within 48 hours or under way, until dismissed.
 * Times read in the person's chosen zone when signed in, else the browser's. */
export default function MaintenanceBanner({ api, timeZone }: { api: ApiClient; timeZone?: string }) {
  const [state, setState] = useState<MaintenanceState | null>(null);
  const [dismissed, setDismissed] = useState<Set<string>>(() => new Set());

  useEffect(() => {
    setDismissed(readDismissed());
    let live = true;
    const load = () =>
      api
        .maintenance()
        .then((s) => live && setState(s))
        .catch(() => undefined); // no notice is better than an error about the notice
    void load();
    const timer = setInterval(load, REFRESH_MS);
    return () => {
      live = false;
      clearInterval(timer);
    };
  }, [api]);

  const shown = state ? noticeFor(state, dismissed) : null;
  if (!shown) return null;
  const dismiss = () => {
    const next = new Set(dismissed).add(dismissKey(shown));
    setDismissed(next);
    try {
      localStorage.setItem(DISMISSED, JSON.stringify([...next]));
    } catch {
      // private browsing: dismissed for this page only
    }
  };
  return (
    <div className={`maintenance maintenance-${shown.status}`} role="status" aria-label="Maintenance notice">
      <div>
        <strong>{noticeTitle(shown)}</strong>
        <p>
          <time dateTime={shown.start}>{windowLabel(shown, { timeZone })}</time> (your time). {shown.reason}. The assistant may be
          briefly unavailable.
        </p>
      </div>
      <button type="button" className="ghost" onClick={dismiss} aria-label="Dismiss maintenance notice">
        ✕
      </button>
    </div>
  );
}
