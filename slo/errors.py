"""The SLO package's expected failures, part of the service's exception hierarchy."""

from __future__ import annotations

from app.core.errors import InvalidInput, ServiceUnavailable


class SpecError(InvalidInput):
    """An SLO spec that cannot be used; the message names the file, the SLO and the field."""

    code = "invalid_slo_spec"

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


class SourceError(ServiceUnavailable):
    """A data source (Prometheus, a stats file, a drill record) could not be read."""

    code = "slo_source_unavailable"
