"""The SLO package's expected failures: its own hierarchy, so the engine runs without the web app.

Whoever runs the engine (the `slo`, `dashboards` and `loadtest` commands, the app's recovery objectives) turns
them into its own messages and exit codes.
"""

from __future__ import annotations


class SLOError(Exception):
    """Base of every expected SLO failure; `code` is a stable machine-readable name."""

    code = "slo_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class SpecError(SLOError):
    """An SLO spec that cannot be used; the message names the file, the SLO and the field."""

    code = "invalid_slo_spec"

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


class SourceError(SLOError):
    """A data source (Prometheus, a stats file, a drill record) could not be read."""

    code = "slo_source_unavailable"
