"""The SLO model the engine and generators work on: frozen dataclasses, built from a validated spec."""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final, Literal

from slo.catalog import HISTOGRAMS, counter_series, format_le
from slo.durations import format_duration
from slo.maintenance import MaintenanceCalendar, build_calendar
from telemetry import conventions as c

if TYPE_CHECKING:
    from slo.policy import BudgetPolicy
    from slo.spend import SpendObjective

Tier = Literal["critical", "high", "medium", "low"]
TIERS: Final[tuple[Tier, ...]] = ("critical", "high", "medium", "low")
TIER_RANK: Final[dict[str, int]] = {tier: len(TIERS) - i for i, tier in enumerate(TIERS)}  # critical=4 ... low=1


@dataclass(frozen=True, slots=True)
class BurnTier:
    """One multi-window multi-burn-rate alert: fires when both windows burn faster than `factor`."""

    tier: Tier
    factor: float
    long_seconds: int
    short_seconds: int


BURN_TIERS: Final = (
    BurnTier("critical", 14.4, 3600, 300),
    BurnTier("high", 6.0, 6 * 3600, 1800),
    BurnTier("medium", 3.0, 86400, 2 * 3600),
    BurnTier("low", 1.0, 3 * 86400, 6 * 3600),
)
ALERT_WINDOWS: Final = tuple(sorted({s for t in BURN_TIERS for s in (t.long_seconds, t.short_seconds)}))


@dataclass(frozen=True, slots=True)
class Matcher:
    """A label matcher: equal to one of `values`, or (negated) to none of them."""

    label: str
    values: tuple[str, ...]
    negate: bool = False

    def matches(self, labels: Mapping[str, str]) -> bool:
        return (labels.get(self.label, "") in self.values) != self.negate

    def promql(self) -> str:
        if len(self.values) == 1:
            return f'{self.label}{"!=" if self.negate else "="}"{_escape(self.values[0])}"'
        pattern = "|".join(_regex_escape(v) for v in self.values)
        return f'{self.label}{"!~" if self.negate else "=~"}"{_escape(pattern)}"'


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def _regex_escape(text: str) -> str:
    return "".join("\\" + ch if ch in r".^$*+?()[]{}|\\" else ch for ch in text)


@dataclass(frozen=True, slots=True)
class Selector:
    """One series name and its label matchers."""

    series: str
    matchers: tuple[Matcher, ...] = ()

    def matches(self, name: str, labels: Mapping[str, str]) -> bool:
        return name == self.series and all(m.matches(labels) for m in self.matchers)

    def promql(self) -> str:
        inner = ",".join(m.promql() for m in self.matchers)
        return f"{self.series}{{{inner}}}" if inner else self.series

    def with_matchers(self, *extra: Matcher) -> Selector:
        return Selector(self.series, self.matchers + extra)

    def renamed(self, series: str) -> Selector:
        return Selector(series, self.matchers)


@dataclass(frozen=True, slots=True)
class Window:
    """The SLO period: rolling over `seconds`, or the current calendar `week` / `month` (UTC)."""

    kind: Literal["rolling", "calendar"]
    seconds: int  # rolling length; for calendar windows the nominal length used by Prometheus rules
    unit: Literal["week", "month"] | None = None

    @property
    def label(self) -> str:
        return format_duration(self.seconds) if self.kind == "rolling" else str(self.unit)

    def length_at(self, now: float) -> float:
        """Seconds from the window's start to `now`."""
        if self.kind == "rolling":
            return float(self.seconds)
        today = dt.datetime.fromtimestamp(now, dt.UTC)
        start = today.replace(hour=0, minute=0, second=0, microsecond=0)
        start = start.replace(day=1) if self.unit == "month" else start - dt.timedelta(days=today.weekday())
        return max(now - start.timestamp(), 1.0)

    def nominal_seconds(self, now: float) -> float:
        """The whole window's length (a calendar month has 28 to 31 days)."""
        if self.kind == "rolling" or self.unit == "week":
            return float(self.seconds)
        today = dt.datetime.fromtimestamp(now, dt.UTC)
        return float(calendar.monthrange(today.year, today.month)[1] * 86400)


@dataclass(frozen=True, slots=True)
class RatioIndicator:
    """Events split into bad and total: the SLI is 1 - bad / total."""

    total: Selector
    events: Selector  # the bad events, or the good ones when `good` is true
    good: bool = False
    kind: Literal["ratio"] = "ratio"


@dataclass(frozen=True, slots=True)
class LatencyIndicator:
    """Requests from a histogram: good when at most `threshold` seconds.

    With a `percentile` the objective is that percentile (P95 <= 300 ms means at least 95% of requests take at
    most 300 ms), so the percentile SLO gets an error budget and burn rates like any other.
    """

    metric: str
    matchers: tuple[Matcher, ...]
    threshold: float
    percentile: float | None = None
    kind: Literal["latency"] = "latency"

    @property
    def total(self) -> Selector:
        return Selector(counter_series(self.metric), self.matchers)

    @property
    def good_bucket(self) -> Selector:
        return Selector(self.metric + "_bucket", (*self.matchers, Matcher(c.LABEL_LE, (format_le(self.threshold),))))

    @property
    def buckets(self) -> Selector:
        return Selector(self.metric + "_bucket", self.matchers)

    @property
    def bucket_edges(self) -> tuple[float, ...]:
        return HISTOGRAMS[self.metric]


@dataclass(frozen=True, slots=True)
class GaugeIndicator:
    """A measured recovery figure (seconds) held against one objective per tier.

    `age` means the gauge is a Unix timestamp and the figure is how long ago it was.
    """

    value: Selector
    thresholds: tuple[tuple[Tier, float], ...]
    age: bool = False
    freshness: Selector | None = None  # a timestamp gauge that says when the figure was last measured
    max_age: float | None = None
    stale_tier: Tier = "high"
    success: Selector | None = None  # a 0/1 gauge: 0 means the last measurement failed
    kind: Literal["gauge"] = "gauge"


Indicator = RatioIndicator | LatencyIndicator | GaugeIndicator


@dataclass(frozen=True, slots=True)
class SLO:
    """One objective: an indicator, a target over a window, and who to tell."""

    name: str
    description: str
    indicator: Indicator
    objective: float  # share of good events; 1.0 for gauge objectives
    window: Window
    min_events: int
    tiers: tuple[Tier, ...]
    runbook_url: str
    dashboard_url: str
    # (start, end) Unix seconds of the maintenance windows left out of the SLO period: the spec's concrete
    # windows, the same ones the Prometheus rules know. Empty unless the SLO says excludeMaintenance.
    excluded: tuple[tuple[float, float], ...] = ()

    @property
    def error_budget(self) -> float:
        return 1.0 - self.objective


@dataclass(frozen=True, slots=True)
class RollbackTrigger:
    """A deployment rollback rule: error ratio or response time above `threshold` over `window_seconds`."""

    name: str
    description: str
    kind: Literal["error_ratio", "latency"]
    total: Selector
    bad: Selector | None  # error_ratio: the bad events
    metric: str | None  # latency: the histogram
    percentile: float | None  # latency: None means the average response time
    threshold: float
    window_seconds: int
    min_events: int
    runbook_url: str
    dashboard_url: str


@dataclass(frozen=True, slots=True)
class ScalingPolicy:
    """Scale-out signals per instance, as the deployment spec sets them."""

    window_seconds: int
    cpu_cores: float
    cpu_ratio: float
    memory_ratio: float
    requests_per_second: float
    average_response_seconds: float
    runbook_url: str
    dashboard_url: str


@dataclass(frozen=True, slots=True)
class Receivers:
    """Where Alertmanager sends each tier."""

    page_url: str
    ticket_url: str
    digest_url: str


@dataclass(frozen=True, slots=True)
class Spec:
    """A whole validated spec."""

    api_version: str
    service: str
    slos: tuple[SLO, ...]
    rollback: tuple[RollbackTrigger, ...] = ()
    scaling: ScalingPolicy | None = None
    receivers: Receivers = field(default_factory=lambda: Receivers("", "", ""))
    source: str = "<memory>"
    maintenance: MaintenanceCalendar = field(default_factory=lambda: build_calendar(None))
    policy: BudgetPolicy | None = None  # the error budget policy and exhaustion forecast (slo.policy)
    spend: SpendObjective | None = None  # the daily model-spend objective (slo.spend)

    def slo(self, name: str) -> SLO:
        for item in self.slos:
            if item.name == name:
                return item
        raise KeyError(name)
