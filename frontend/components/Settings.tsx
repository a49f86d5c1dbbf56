"use client";

import { useEffect, useMemo, useState } from "react";
import { browserTimeZone } from "@/lib/api";
import { timeZones } from "@/lib/when";

interface Props {
  timeZone: string;
  /** Resolves null when saved, or the reason it was refused. */
  onTimeZone: (zone: string) => Promise<string | null>;
}

type Permission = NotificationPermission | "unsupported";

function notificationPermission(): Permission {
  return typeof Notification === "undefined" ? "unsupported" : Notification.permission;
}

/** The person's time zone (with a nudge when the browser is elsewhere) and desktop reminders. */
export default function Settings({ timeZone, onTimeZone }: Props) {
  const [changing, setChanging] = useState(false);
  const [choice, setChoice] = useState(timeZone);
  const [problem, setProblem] = useState<string | null>(null);
  const [permission, setPermission] = useState<Permission>("unsupported");
  const [here, setHere] = useState(timeZone);
  useEffect(() => {
    setPermission(notificationPermission());
    setHere(browserTimeZone());
  }, []);
  const zones = useMemo(() => (changing ? timeZones(timeZone) : []), [changing, timeZone]);

  const save = async (zone: string) => {
    const refused = await onTimeZone(zone);
    setProblem(refused);
    if (!refused) setChanging(false);
  };

  return (
    <div className="settings small">
      {here !== timeZone && !changing && (
        <p className="notice">
          This browser is on {here} time; your tasks use {timeZone}.{" "}
          <button type="button" className="link" onClick={() => void save(here)}>
            Use {here}
          </button>
        </p>
      )}
      {changing ? (
        <form
          className="zone-form"
          onSubmit={(e) => {
            e.preventDefault();
            void save(choice);
          }}
        >
          <label htmlFor="time-zone">Time zone</label>
          <select id="time-zone" value={choice} onChange={(e) => setChoice(e.target.value)}>
            {zones.map((z) => (
              <option key={z} value={z}>
                {z.replaceAll("_", " ")}
              </option>
            ))}
          </select>
          <button type="submit" className="small primary">
            Save
          </button>
          <button type="button" className="small ghost" onClick={() => setChanging(false)}>
            Cancel
          </button>
        </form>
      ) : (
        <p className="muted">
          Times are in {timeZone.replaceAll("_", " ")}.{" "}
          <button
            type="button"
            className="link"
            onClick={() => {
              setChoice(timeZone);
              setChanging(true);
            }}
          >
            Change time zone
          </button>
        </p>
      )}
      {problem && (
        <p className="error" role="alert">
          {problem}
        </p>
      )}
      {permission === "default" && (
        <p className="muted">
          Reminders show on this page.{" "}
          <button
            type="button"
            className="link"
            onClick={() => void Notification.requestPermission().then(setPermission)}
          >
            Also show them on the desktop
          </button>
        </p>
      )}
    </div>
  );
}
