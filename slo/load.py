"""Spec documents to the frozen model the engine and the generators use."""

from __future__ import annotations

from pathlib import Path
from typing import cast

from slo import DEFAULT_SPEC_PATH
from slo.catalog import counter_series
from slo.durations import parse_duration
from slo.maintenance import build_calendar, concrete_windows
from slo.model import (
    BURN_TIERS,
    SLO,
    TIERS,
    GaugeIndicator,
    Indicator,
    LatencyIndicator,
    Matcher,
    RatioIndicator,
    Receivers,
    RollbackTrigger,
    ScalingPolicy,
    Selector,
    Spec,
    Window,
)
from slo.policy import build_policy
from slo.spec import (
    CalendarDoc,
    GaugeDoc,
    MatcherValue,
    NotMatcher,
    SLODoc,
    SpecDoc,
    WindowDoc,
    parse_spec,
    read_spec_doc,
)
from slo.spend import build_spend

_CALENDAR_SECONDS = {"week": 7 * 86400, "month": 30 * 86400}


def matchers(spec: dict[str, MatcherValue]) -> tuple[Matcher, ...]:
    """Spec label matchers ({label: value | [values] | {not: ...}}) as model matchers, in label order."""
    out = []
    for label in sorted(spec):
        value = spec[label]
        negate = isinstance(value, NotMatcher)
        inner = value.not_ if isinstance(value, NotMatcher) else value
        values = (inner,) if isinstance(inner, str) else tuple(inner)
        out.append(Matcher(label, values, negate))
    return tuple(out)


def window(doc: WindowDoc) -> Window:
    if isinstance(doc, CalendarDoc):
        return Window("calendar", _CALENDAR_SECONDS[doc.calendar], doc.calendar)
    return Window("rolling", parse_duration(doc))


def _gauge(doc: GaugeDoc) -> GaugeIndicator:
    thresholds = tuple((t, float(parse_duration(doc.objectives[t]))) for t in TIERS if t in doc.objectives)
    fresh = doc.freshness
    return GaugeIndicator(
        value=Selector(doc.metric, matchers(doc.filter)),
        thresholds=thresholds,
        age=doc.age,
        freshness=Selector(fresh.metric, matchers(doc.filter)) if fresh else None,
        max_age=float(parse_duration(fresh.max_age)) if fresh else None,
        stale_tier=fresh.tier if fresh else "high",
        success=Selector(doc.success, matchers(doc.filter)) if doc.success else None,
    )


def _indicator(doc: SLODoc) -> tuple[Indicator, float]:
    ind = doc.indicator
    if ind.ratio is not None:
        r = ind.ratio
        total = Selector(counter_series(r.metric), matchers(r.filter))
        side = r.good if r.good is not None else r.bad
        assert side is not None  # the schema requires one side
        events = total.with_matchers(*matchers(side))
        return RatioIndicator(total=total, events=events, good=r.good is not None), cast(float, doc.target)
    if ind.latency_percentile is not None:
        lat = ind.latency_percentile
        percentile = cast(float, lat.percentile)
        return LatencyIndicator(lat.metric, matchers(lat.filter), lat.threshold, percentile), percentile
    if ind.latency_threshold is not None:
        lat = ind.latency_threshold
        return LatencyIndicator(lat.metric, matchers(lat.filter), lat.threshold), cast(float, doc.target)
    assert ind.gauge is not None  # the schema requires exactly one indicator
    return _gauge(ind.gauge), 1.0


def _url(template: str, *, slo: str, anchor: str) -> str:
    return template.replace("{slo}", slo).replace("{anchor}", anchor)


def build(doc: SpecDoc, source: str = "<memory>") -> Spec:
    """The model for a validated spec document."""
    d = doc.defaults
    calendar = build_calendar(
        doc.maintenance,
        runbook_url=_url(d.runbook_url, slo="maintenance", anchor="upcoming-maintenance"),
        dashboard_url=_url(d.dashboard_url, slo="maintenance", anchor="upcoming-maintenance"),
    )
    windows = tuple((w.start.timestamp(), w.end.timestamp()) for w in concrete_windows(calendar))
    slos = []
    for s in doc.slos:
        indicator, objective = _indicator(s)
        anchor = "recovery-objectives" if isinstance(indicator, GaugeIndicator) else "error-budget-burn"
        slos.append(
            SLO(
                name=s.name,
                description=s.description,
                indicator=indicator,
                objective=objective,
                window=window(s.window if s.window is not None else d.window),
                min_events=s.min_events if s.min_events is not None else d.min_events,
                tiers=tuple(t for t in TIERS if t in s.tiers) if s.tiers else tuple(t.tier for t in BURN_TIERS),
                runbook_url=_url(d.runbook_url, slo=s.name, anchor=anchor),
                dashboard_url=_url(d.dashboard_url, slo=s.name, anchor=anchor),
                excluded=windows if s.exclude_maintenance else (),
            )
        )
    rollback = []
    for r in doc.rollback:
        if r.error_ratio is not None:
            total = Selector(counter_series(r.error_ratio.metric), matchers(r.error_ratio.filter))
            bad: Selector | None = total.with_matchers(*matchers(r.error_ratio.bad))
            metric, percentile = None, None
        else:
            assert r.latency is not None  # the schema requires one kind
            total = Selector(counter_series(r.latency.metric), matchers(r.latency.filter))
            bad, metric, percentile = None, r.latency.metric, r.latency.percentile
        rollback.append(
            RollbackTrigger(
                name=r.name,
                description=r.description,
                kind="error_ratio" if r.error_ratio is not None else "latency",
                total=total,
                bad=bad,
                metric=metric,
                percentile=percentile,
                threshold=r.above,
                window_seconds=parse_duration(r.window),
                min_events=r.min_events if r.min_events is not None else d.min_events,
                runbook_url=_url(d.runbook_url, slo=r.name, anchor="rollback-trigger"),
                dashboard_url=_url(d.dashboard_url, slo=r.name, anchor="rollback-trigger"),
            )
        )
    scaling = None
    if doc.scaling is not None:
        sc = doc.scaling
        scaling = ScalingPolicy(
            window_seconds=parse_duration(sc.window),
            cpu_cores=sc.cpu_cores,
            cpu_ratio=sc.cpu,
            memory_ratio=sc.memory,
            requests_per_second=sc.requests_per_second,
            average_response_seconds=sc.average_response_seconds,
            runbook_url=_url(d.runbook_url, slo="scaling", anchor="scale-out-signal"),
            dashboard_url=_url(d.dashboard_url, slo="scaling", anchor="scale-out-signal"),
        )
    return Spec(
        api_version=doc.api_version,
        service=doc.service,
        slos=tuple(slos),
        rollback=tuple(rollback),
        scaling=scaling,
        receivers=Receivers(doc.receivers.page, doc.receivers.ticket, doc.receivers.digest),
        source=source,
        maintenance=calendar,
        policy=build_policy(doc.policy, d.runbook_url) if doc.policy is not None else None,
        spend=build_spend(doc.spend, d.runbook_url, d.dashboard_url) if doc.spend is not None else None,
    )


def load_spec(path: Path | None = None) -> Spec:
    """Read, validate and build a spec file (the packaged default spec when `path` is None)."""
    path = path or DEFAULT_SPEC_PATH
    return build(read_spec_doc(path), str(path))


def spec_from_text(text: str, source: str = "<memory>") -> Spec:
    """Validate and build spec text."""
    return build(parse_spec(text, source), source)
