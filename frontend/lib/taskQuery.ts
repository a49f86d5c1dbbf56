// What the task panel asks `GET /api/v1/tasks` for: one view, an optional tag and search words.

import type { TaskQuery, TaskView } from "./types";

export const VIEWS: ReadonlyArray<readonly [TaskView, string]> = [
  ["all", "All"],
  ["pending", "To do"],
  ["today", "Today"],
  ["upcoming", "Upcoming"],
  ["overdue", "Overdue"],
  ["completed", "Done"],
];

export const PAGE_SIZE = 200;

/** The query string for one view of the list; planning views come soonest first. */
export function taskQueryString(query: TaskQuery, limit = PAGE_SIZE): string {
  const params = new URLSearchParams();
  switch (query.view) {
    case "all":
    case "completed":
      params.set("status", query.view);
      break;
    case "pending":
      params.set("status", "pending");
      params.set("sort", "due");
      break;
    case "today":
    case "upcoming":
    case "overdue":
      params.set("status", "pending");
      params.set("due", query.view);
      params.set("sort", "due");
      break;
  }
  if (query.tag) params.append("tag", query.tag);
  const words = query.search.trim();
  if (words) params.set("q", words.slice(0, 200));
  params.set("limit", String(limit));
  return params.toString();
}

/** "#Work, home  errands" -> ["work", "home", "errands"]: the server's own normalisation, so the form shows it. */
export function parseTags(text: string): string[] {
  const names = text
    .split(/[\s,]+/)
    .map((t) => t.replace(/^#+/, "").trim().toLowerCase())
    .filter(Boolean);
  return [...new Set(names)];
}

export function describeQuery(query: TaskQuery): string {
  const label = VIEWS.find(([v]) => v === query.view)?.[1] ?? "All";
  const parts = [label];
  if (query.tag) parts.push(`#${query.tag}`);
  if (query.search.trim()) parts.push(`“${query.search.trim()}”`);
  return parts.join(" · ");
}
