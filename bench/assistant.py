"""`make bench-assistant`: the offline model's CPU per turn, over the phrasing table's messages (no I/O)."""

from __future__ import annotations

import time

from app.agent.offline import respond
from app.agent.types import ModelRequest, ToolSpec, model_text, user_text
from tests.chat.phrasings import ROWS

_TOOLS = [
    ToolSpec(name, "", {"properties": {p: {} for p in params}})
    for name, params in {
        "add_task": ("title", "description", "due", "priority", "tags", "recurrence", "remind"),
        "list_tasks": ("status", "query", "tags", "priority", "due"),
        "complete_task": ("task_id",),
        "delete_task": ("task_id",),
        "update_task": ("task_id", "title", "description", "completed", "due", "priority", "tags", "recurrence"),
        "bulk_update_tasks": ("action", "status", "confirm_token"),
        "undo_last_change": (),
    }.items()
]
SYSTEM = "Current local time: 2026-12-02 14:05 (Europe/Berlin, UTC+01:00)"


def main() -> None:
    """Print CPU microseconds per model round: median, p99 and worst, over every message of the table."""
    history = [user_text("show my tasks"), model_text("You have 3 tasks:\n- #1 Call the bank\n- #2 Buy oat milk")]
    requests = [
        ModelRequest(system=SYSTEM, contents=[*history, user_text(m)], tools=_TOOLS)
        for row in ROWS
        for m in row.messages
    ]
    for request in requests:  # warm caches (regex compilation, typo lookups) once, as a running server has
        respond(request)
    samples = []
    for _ in range(5):
        for request in requests:
            started = time.process_time_ns()
            respond(request)
            samples.append((time.process_time_ns() - started) / 1000)
    samples.sort()
    median, p99, worst = samples[len(samples) // 2], samples[int(len(samples) * 0.99)], samples[-1]
    print(
        f"offline model, {len(requests)} messages x 5: CPU per round median {median:.0f} us, p99 {p99:.0f} us, "
        f"max {worst:.0f} us"
    )


if __name__ == "__main__":
    main()
