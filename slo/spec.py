"""The SLO spec file: a versioned pydantic schema, loaded from YAML with errors that name file, SLO and field."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from slo import catalog
from slo.durations import parse_duration
from slo.errors import SpecError
from slo.maintenance import MaintenanceDoc
from slo.policy_spec import PolicyDoc
from slo.spend_spec import SpendDoc

API_VERSION = "slo.todochat/v1"
SUPPORTED_VERSIONS = (API_VERSION,)
Seconds = Annotated[float, Field(gt=0)]


class _Doc(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class NotMatcher(_Doc):
    not_: str | list[str] = Field(alias="not")


MatcherValue = str | list[str] | NotMatcher


def _check_labels(value: dict[str, MatcherValue]) -> dict[str, MatcherValue]:
    for label in value:
        if label not in catalog.LABELS:
            raise ValueError(f"label {label!r} is not defined in telemetry.conventions")
    return value


def _check_metric(value: str, kinds: tuple[str, ...]) -> str:
    known = {
        "histogram": set(catalog.HISTOGRAMS),
        "counter": set(catalog.COUNTERS),
        "gauge": set(catalog.GAUGES),
    }
    if not any(value in known[k] for k in kinds):
        names = sorted(set().union(*(known[k] for k in kinds)))
        raise ValueError(f"{value!r} is not a {' or '.join(kinds)} in telemetry.conventions (one of: {names})")
    return value


class RatioDoc(_Doc):
    """Bad (or good) events over all events of one histogram or counter."""

    metric: str
    filter: dict[str, MatcherValue] = {}
    bad: dict[str, MatcherValue] | None = None
    good: dict[str, MatcherValue] | None = None

    _labels = field_validator("filter", "bad", "good")(lambda v: v if v is None else _check_labels(v))

    @field_validator("metric")
    @classmethod
    def _metric(cls, value: str) -> str:
        return _check_metric(value, ("histogram", "counter"))

    @model_validator(mode="after")
    def _one_side(self) -> RatioDoc:
        if (self.bad is None) == (self.good is None):
            raise ValueError("give exactly one of 'bad' or 'good' (label matchers that pick those events)")
        return self


class LatencyDoc(_Doc):
    """Requests of a histogram at most `threshold` seconds: a percentile, or a share given by the SLO target."""

    metric: str
    filter: dict[str, MatcherValue] = {}
    threshold: Seconds
    percentile: Annotated[float, Field(gt=0, lt=1)] | None = None

    _labels = field_validator("filter")(_check_labels)

    @field_validator("metric")
    @classmethod
    def _metric(cls, value: str) -> str:
        return _check_metric(value, ("histogram",))

    @model_validator(mode="after")
    def _bucket_edge(self) -> LatencyDoc:
        edges = catalog.HISTOGRAMS[self.metric]
        if self.threshold not in edges:
            raise ValueError(
                f"threshold {self.threshold:g}s is not a bucket edge of {self.metric}, so Prometheus could not "
                f"count requests under it exactly; use one of {list(edges)}"
            )
        return self


class FreshnessDoc(_Doc):
    metric: str
    max_age: str = Field(alias="maxAge")
    tier: Literal["critical", "high", "medium", "low"] = "high"

    _age = field_validator("max_age")(lambda v: (parse_duration(v), v)[1])

    @field_validator("metric")
    @classmethod
    def _metric(cls, value: str) -> str:
        return _check_metric(value, ("gauge",))


class GaugeDoc(_Doc):
    """A recovery figure in seconds (or a timestamp whose age is the figure) with one objective per tier."""

    metric: str
    filter: dict[str, MatcherValue] = {}
    age: bool = False
    objectives: dict[Literal["critical", "high", "medium", "low"], str]
    freshness: FreshnessDoc | None = None
    success: str | None = None

    _labels = field_validator("filter")(_check_labels)

    @field_validator("metric", "success")
    @classmethod
    def _metric(cls, value: str | None) -> str | None:
        return value if value is None else _check_metric(value, ("gauge",))

    @field_validator("objectives")
    @classmethod
    def _objectives(cls, value: dict[str, str]) -> dict[str, str]:
        if not value:
            raise ValueError("give at least one tier objective, e.g. {critical: 15m}")
        for text in value.values():
            parse_duration(text)
        return value


class IndicatorDoc(_Doc):
    ratio: RatioDoc | None = None
    latency_percentile: LatencyDoc | None = Field(None, alias="latencyPercentile")
    latency_threshold: LatencyDoc | None = Field(None, alias="latencyThreshold")
    gauge: GaugeDoc | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> IndicatorDoc:
        given = [k for k in ("ratio", "latency_percentile", "latency_threshold", "gauge") if getattr(self, k)]
        if len(given) != 1:
            raise ValueError("give exactly one of ratio, latencyPercentile, latencyThreshold or gauge")
        if self.latency_percentile is not None and self.latency_percentile.percentile is None:
            raise ValueError("latencyPercentile needs 'percentile', e.g. 0.95 for P95")
        if self.latency_threshold is not None and self.latency_threshold.percentile is not None:
            raise ValueError("latencyThreshold takes its share from the SLO 'target'; drop 'percentile'")
        return self


class CalendarDoc(_Doc):
    calendar: Literal["week", "month"]


WindowDoc = str | CalendarDoc


def _check_window(value: WindowDoc | None) -> WindowDoc | None:
    if isinstance(value, CalendarDoc):
        # A PromQL range is a fixed length: the generated rules would count the last 30 days while the engine
        # counted from the first of the month, and the two would disagree on the error budget left.
        raise ValueError(
            f"{{calendar: {value.calendar}}} windows cannot be expressed in Prometheus rules (a range selector has a "
            "fixed length); use a rolling window such as 30d or 7d"
        )
    if isinstance(value, str):
        parse_duration(value)
    return value


class SLODoc(_Doc):
    name: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")]
    description: str = ""
    target: Annotated[float, Field(gt=0, lt=1)] | None = None
    window: WindowDoc | None = None
    min_events: Annotated[int, Field(ge=0)] | None = Field(None, alias="minEvents")
    tiers: list[Literal["critical", "high", "medium", "low"]] | None = None
    # Leave the spec's maintenance windows out of the SLO period (the budget); burn-rate alerts still see them.
    exclude_maintenance: bool = Field(False, alias="excludeMaintenance")
    indicator: IndicatorDoc

    _window = field_validator("window")(_check_window)

    @model_validator(mode="after")
    def _target(self) -> SLODoc:
        ind = self.indicator
        if (ind.ratio or ind.latency_threshold) and self.target is None:
            raise ValueError("target: this indicator needs a target share of good events, e.g. 0.99")
        if (ind.latency_percentile or ind.gauge) and self.target is not None:
            raise ValueError("target: not used here (the percentile or the tier objectives are the target)")
        if ind.gauge and self.exclude_maintenance:
            raise ValueError("excludeMaintenance: only event SLOs have a budget to leave maintenance out of")
        return self


class RollbackErrorDoc(_Doc):
    metric: str
    filter: dict[str, MatcherValue] = {}
    bad: dict[str, MatcherValue]

    _labels = field_validator("filter", "bad")(_check_labels)
    _metric = field_validator("metric")(lambda v: _check_metric(v, ("histogram", "counter")))


class RollbackLatencyDoc(_Doc):
    metric: str
    filter: dict[str, MatcherValue] = {}
    percentile: Annotated[float, Field(gt=0, lt=1)] | None = None

    _labels = field_validator("filter")(_check_labels)
    _metric = field_validator("metric")(lambda v: _check_metric(v, ("histogram",)))


class RollbackDoc(_Doc):
    name: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")]
    description: str = ""
    error_ratio: RollbackErrorDoc | None = Field(None, alias="errorRatio")
    latency: RollbackLatencyDoc | None = None
    above: Annotated[float, Field(gt=0)]
    window: str
    min_events: Annotated[int, Field(ge=0)] | None = Field(None, alias="minEvents")

    _window = field_validator("window")(lambda v: (parse_duration(v), v)[1])

    @model_validator(mode="after")
    def _one(self) -> RollbackDoc:
        if (self.error_ratio is None) == (self.latency is None):
            raise ValueError("give exactly one of errorRatio or latency")
        return self


class ScalingDoc(_Doc):
    window: str = "5m"
    cpu_cores: Annotated[float, Field(gt=0)] = Field(1.0, alias="cpuCores")
    cpu: Annotated[float, Field(gt=0, le=1)]
    memory: Annotated[float, Field(gt=0, le=1)]
    requests_per_second: Annotated[float, Field(gt=0)] = Field(alias="requestsPerSecond")
    average_response_seconds: Annotated[float, Field(gt=0)] = Field(alias="averageResponseSeconds")

    _window = field_validator("window")(lambda v: (parse_duration(v), v)[1])


class DefaultsDoc(_Doc):
    window: WindowDoc = "30d"
    min_events: Annotated[int, Field(ge=0)] = Field(100, alias="minEvents")
    runbook_url: str = Field("alerts/RUNBOOK.md#{anchor}", alias="runbookUrl")
    dashboard_url: str = Field("/d/todochat-slos/slos-and-error-budgets?var-slo={slo}", alias="dashboardUrl")

    _window = field_validator("window")(_check_window)


class ReceiversDoc(_Doc):
    page: str = "http://127.0.0.1:9095/page"
    ticket: str = "http://127.0.0.1:9095/ticket"
    digest: str = "http://127.0.0.1:9095/digest"


class SpecDoc(_Doc):
    api_version: str = Field(alias="apiVersion")
    kind: Literal["ServiceLevelObjectives"]
    service: str
    defaults: DefaultsDoc = DefaultsDoc()
    receivers: ReceiversDoc = ReceiversDoc()
    slos: list[SLODoc]
    rollback: list[RollbackDoc] = []
    scaling: ScalingDoc | None = None
    maintenance: MaintenanceDoc | None = None
    policy: PolicyDoc | None = None
    spend: SpendDoc | None = None

    @field_validator("api_version")
    @classmethod
    def _version(cls, value: str) -> str:
        if value not in SUPPORTED_VERSIONS:
            raise ValueError(f"unsupported apiVersion {value!r}; this version reads {list(SUPPORTED_VERSIONS)}")
        return value

    @model_validator(mode="after")
    def _unique(self) -> SpecDoc:
        names = (
            [s.name for s in self.slos] + [r.name for r in self.rollback] + ([self.spend.name] if self.spend else [])
        )
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"names must be unique across slos, rollback triggers and spend; repeated: {dupes}")
        return self


def _where(raw: Any, loc: tuple[int | str, ...]) -> str:
    """'SLO api-latency-p95, field indicator.latencyPercentile.threshold' for a pydantic error location."""
    if len(loc) >= 2 and loc[0] in ("slos", "rollback") and isinstance(loc[1], int):
        items = raw.get(loc[0]) if isinstance(raw, dict) else None
        item = items[loc[1]] if isinstance(items, list) and loc[1] < len(items) else None
        name = item.get("name") if isinstance(item, dict) else None
        what = "SLO" if loc[0] == "slos" else "rollback trigger"
        label = f"{what} {name!r}" if name else f"{what} #{loc[1] + 1}"
        rest = ".".join(str(p) for p in loc[2:]) or "(itself)"
        return f"{label}, field {rest}"
    return f"field {'.'.join(str(p) for p in loc) or '(top level)'}"


def parse_spec(text: str, source: str = "<memory>") -> SpecDoc:
    """Validate spec text; raises SpecError whose lines each name the file, the SLO and the field."""
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as err:
        raise SpecError([f"{source}: not valid YAML: {err}"]) from err
    if not isinstance(raw, dict):
        raise SpecError([f"{source}: expected a mapping with apiVersion, kind, service and slos"])
    try:
        return SpecDoc.model_validate(raw)
    except ValidationError as err:
        problems = []
        for e in err.errors():
            msg = e["msg"].removeprefix("Value error, ")
            problems.append(f"{source}: {_where(raw, tuple(e['loc']))}: {msg}")
        raise SpecError(problems) from err


def read_spec_doc(path: Path) -> SpecDoc:
    """Read and validate a spec file."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise SpecError([f"{path}: cannot read: {err.strerror}"]) from err
    return parse_spec(text, str(path))
