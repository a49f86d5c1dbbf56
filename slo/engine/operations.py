"""Rollback triggers and scale-out signals from the deployment spec."""

from __future__ import annotations

from slo.catalog import counter_series
from slo.durations import format_duration
from slo.engine.histogram import quantile
from slo.engine.queries import Observations, Query, total
from slo.engine.results import Alert, SignalResult
from slo.model import RollbackTrigger, ScalingPolicy, Selector
from telemetry import conventions as c


def rollback_queries(trigger: RollbackTrigger) -> list[Query]:
    """The queries one rollback trigger needs."""
    w = trigger.window_seconds
    out = [Query("increase", trigger.total, w)]
    if trigger.bad is not None:
        out.append(Query("increase", trigger.bad, w))
    elif trigger.percentile is not None:
        out.append(Query("increase", trigger.total.renamed(f"{trigger.metric}_bucket"), w, by=c.LABEL_LE))
    else:
        out.append(Query("increase", trigger.total.renamed(f"{trigger.metric}_sum"), w))
    return out


def evaluate_rollback(trigger: RollbackTrigger, observations: Observations) -> tuple[SignalResult, Alert]:
    """Whether a rollback trigger holds: value above threshold with enough events in its window."""
    total_q, other_q = rollback_queries(trigger)
    events = total(observations, total_q)
    value: float | None
    if events <= 0:
        value = None
    elif trigger.bad is not None:
        value = total(observations, other_q) / events
    elif trigger.percentile is not None:
        value = quantile(trigger.percentile, observations.get(other_q, {}))
    else:
        value = total(observations, other_q) / events
    firing = value is not None and events >= trigger.min_events and value > trigger.threshold
    what = "error ratio" if trigger.bad is not None else "response time"
    shown = "n/a" if value is None else f"{value:.4g}"
    detail = f"{what} {shown} over {format_duration(trigger.window_seconds)} (rollback above {trigger.threshold:g})"
    if events < trigger.min_events:
        detail += f"; only {events:g} events, fewer than {trigger.min_events}: not triggering"
    signal = SignalResult(trigger.name, value, trigger.threshold, firing, events=events)
    return signal, Alert(c.ALERT_ROLLBACK, trigger.name, "critical", "rollback", firing, detail)


def _http(series_suffix: str) -> Selector:
    return Selector(c.HTTP_SERVER_DURATION + series_suffix)


def scaling_queries(policy: ScalingPolicy) -> dict[str, Query]:
    """The queries behind the four scale-out signals, each grouped per instance."""
    w, by = policy.window_seconds, c.LABEL_INSTANCE
    return {
        "cpu_seconds": Query("increase", Selector(c.PROCESS_CPU), w, by),
        "memory": Query("gauge", Selector(c.PROCESS_RESIDENT_MEMORY), by=by),
        "memory_limit": Query("gauge", Selector(c.PROCESS_MEMORY_LIMIT), by=by),
        "requests": Query("increase", Selector(counter_series(c.HTTP_SERVER_DURATION)), w, by),
        "seconds": Query("increase", _http("_sum"), w, by),
    }


SIGNALS = ("cpu", "memory", "request_rate", "response_time")


def evaluate_scaling(policy: ScalingPolicy, observations: Observations) -> tuple[list[SignalResult], list[Alert]]:
    """Per instance and signal: the value against its scale-out threshold (reached means scale out)."""
    q = scaling_queries(policy)
    get = {name: observations.get(query, {}) for name, query in q.items()}
    instances = sorted(set().union(*(v.keys() for v in get.values())))
    w = policy.window_seconds
    results: list[SignalResult] = []
    alerts: list[Alert] = []
    for inst in instances:
        cpu = get["cpu_seconds"].get(inst)
        mem, limit = get["memory"].get(inst), get["memory_limit"].get(inst)
        reqs, secs = get["requests"].get(inst), get["seconds"].get(inst)
        values = {
            "cpu": None if cpu is None else cpu / w / policy.cpu_cores,
            "memory": None if mem is None or not limit else mem / limit,
            "request_rate": None if reqs is None else reqs / w,
            "response_time": None if not reqs or secs is None else secs / reqs,
        }
        limits = {
            "cpu": policy.cpu_ratio,
            "memory": policy.memory_ratio,
            "request_rate": policy.requests_per_second,
            "response_time": policy.average_response_seconds,
        }
        for name in SIGNALS:
            value = values[name]
            firing = value is not None and value >= limits[name]
            results.append(SignalResult(name, value, limits[name], firing, instance=inst))
            shown = "n/a" if value is None else f"{value:.4g}"
            detail = f"{name} {shown} on {inst or 'this instance'}; scale out at {limits[name]:g}"
            labels = ((c.LABEL_INSTANCE, inst), (c.LABEL_SIGNAL, name)) if inst else ((c.LABEL_SIGNAL, name),)
            alerts.append(Alert(c.ALERT_SCALE_OUT, f"scaling-{name}", "medium", "scale_out", firing, detail, labels))
    return results, alerts
