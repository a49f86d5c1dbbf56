"""Prometheus-style durations ("5m", "1h30m", "30d") to seconds and back."""

from __future__ import annotations

import re

_UNITS = {"w": 7 * 86400, "d": 86400, "h": 3600, "m": 60, "s": 1}
_PART = re.compile(r"(\d+)([wdhms])")


def parse_duration(text: str) -> int:
    """Seconds in a duration such as "5m" or "1h30m"; raises ValueError on anything else."""
    text = text.strip()
    parts = _PART.findall(text)
    if not text or "".join(n + u for n, u in parts) != text:
        raise ValueError(f"{text!r} is not a duration like 30s, 5m, 1h or 30d")
    seconds = sum(int(n) * _UNITS[u] for n, u in parts)
    if seconds <= 0:
        raise ValueError(f"{text!r} must be longer than zero")
    return seconds


def format_duration(seconds: float) -> str:
    """The shortest Prometheus duration for a whole number of seconds (3600 -> "1h")."""
    remaining = int(seconds)
    if remaining != seconds or remaining <= 0:
        raise ValueError(f"{seconds} is not a positive whole number of seconds")
    out = []
    for unit, size in _UNITS.items():
        if unit == "w":
            continue  # days read better than weeks in window labels ("7d")
        count, remaining = divmod(remaining, size)
        if count:
            out.append(f"{count}{unit}")
    return "".join(out)
