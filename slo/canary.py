"""The canary's Argo Rollouts AnalysisTemplate, generated from the spec (data; `todochat slo canary` writes it).

Two kinds of measurement, each on the canary's pods only:
- every rollback trigger, as the spec states it (window, threshold, minimum traffic): one failed measurement
  aborts the rollout;
- every event objective (error ratios and latency percentiles; not the recovery gauges, which no single
  version moves), over the fastest alert window: the canary fails when its error ratio exceeds the error
  budget or its percentile the latency threshold, that is when it alone would burn budget faster than the
  objective allows. A noisy minute is tolerated; `OBJECTIVE_FAILURE_LIMIT` more abort.
Too little traffic (under the spec's minEvents) or no series at all measures 0: it neither fails nor errors.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Final

import yaml

from slo import promql
from slo.durations import format_duration
from slo.model import (
    BURN_TIERS,
    SLO,
    GaugeIndicator,
    Matcher,
    RatioIndicator,
    RollbackTrigger,
    Selector,
    Spec,
)

TEMPLATE_NAME: Final = "todochat-canary"
NAMESPACE_ARG: Final = "{{args.namespace}}"
CANARY_HASH_ARG: Final = "{{args.canary-hash}}"
PROMETHEUS_ARG: Final = "{{args.prometheus-address}}"
DEFAULT_PROMETHEUS: Final = "http://prometheus-operated.monitoring.svc:9090"
# Labels Prometheus must keep from the pods (see docs/deployment.md, "Canary analysis").
NAMESPACE_LABEL: Final = "namespace"
POD_TEMPLATE_HASH_LABEL: Final = "rollouts_pod_template_hash"

INTERVAL: Final = "1m"
CONSECUTIVE_ERROR_LIMIT: Final = 5  # Prometheus unreachable for 5 minutes running: the analysis errors
OBJECTIVE_WINDOW_SECONDS: Final = BURN_TIERS[0].short_seconds  # the critical tier's short window, 5m
OBJECTIVE_FAILURE_LIMIT: Final = 2  # a third minute out of objective aborts

_SCOPE: Final = (Matcher(NAMESPACE_LABEL, (NAMESPACE_ARG,)), Matcher(POD_TEMPLATE_HASH_LABEL, (CANARY_HASH_ARG,)))


def on_canary(selector: Selector) -> Selector:
    """The selector narrowed to the canary's pods."""
    return Selector(selector.series, _SCOPE + selector.matchers)


def _guarded(value: str, total: Selector, window: str, min_events: int) -> str:
    return f"(({value}) and on() sum(increase({total.promql()}[{window}])) >= {min_events}) or on() vector(0)"


def _metric(name: str, query: str, threshold: float, failure_limit: int) -> dict[str, Any]:
    return {
        "name": name,
        "interval": INTERVAL,
        "failureLimit": failure_limit,
        "consecutiveErrorLimit": CONSECUTIVE_ERROR_LIMIT,
        "failureCondition": f"result[0] > {threshold:.6g}",
        "provider": {"prometheus": {"address": PROMETHEUS_ARG, "query": query}},
    }


def trigger_metric(trigger: RollbackTrigger) -> dict[str, Any]:
    """One rollback trigger measured on the canary: over its threshold once, the rollout aborts."""
    scoped = dataclasses.replace(
        trigger, total=on_canary(trigger.total), bad=on_canary(trigger.bad) if trigger.bad else None
    )
    window = format_duration(trigger.window_seconds)
    query = _guarded(promql.rollback_value(scoped, window), scoped.total, window, trigger.min_events)
    return _metric(trigger.name, query, trigger.threshold, failure_limit=0)


def objective_metric(slo: SLO) -> dict[str, Any] | None:
    """One event objective measured on the canary; None for the recovery gauges."""
    ind = slo.indicator
    window = format_duration(OBJECTIVE_WINDOW_SECONDS)
    if isinstance(ind, GaugeIndicator):
        return None
    if isinstance(ind, RatioIndicator):
        scoped = dataclasses.replace(
            slo, indicator=dataclasses.replace(ind, total=on_canary(ind.total), events=on_canary(ind.events))
        )
        return _metric(
            slo.name,
            _guarded(promql.error_ratio(scoped, window), on_canary(ind.total), window, slo.min_events),
            slo.error_budget,
            OBJECTIVE_FAILURE_LIMIT,
        )
    latency = dataclasses.replace(ind, matchers=_SCOPE + ind.matchers)
    if latency.percentile is not None:
        value, threshold = promql.latency_quantile(latency.percentile, latency.buckets, window), latency.threshold
    else:
        value, threshold = promql.error_ratio(dataclasses.replace(slo, indicator=latency), window), slo.error_budget
    return _metric(slo.name, _guarded(value, latency.total, window, slo.min_events), threshold, OBJECTIVE_FAILURE_LIMIT)


def analysis_template(spec: Spec) -> dict[str, Any]:
    """The AnalysisTemplate the canary Rollout runs in the background from its first pause."""
    metrics = [trigger_metric(t) for t in spec.rollback]
    metrics += [m for m in (objective_metric(s) for s in spec.slos) if m is not None]
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "AnalysisTemplate",
        "metadata": {"name": TEMPLATE_NAME},
        "spec": {
            "args": [
                {"name": "canary-hash"},
                {"name": "namespace"},
                {"name": "prometheus-address", "value": DEFAULT_PROMETHEUS},
            ],
            "metrics": metrics,
        },
    }


def analysis_template_file(spec: Spec, spec_label: str) -> str:
    """The template as the YAML file committed under deploy/k8s (`spec_label` names the spec in the header)."""
    header = (
        f"# Generated by `todochat slo canary` from {spec_label}. Do not edit: change the spec and regenerate.\n"
        "# Rollback triggers (one failure aborts) and event objectives over "
        f"{format_duration(OBJECTIVE_WINDOW_SECONDS)} ({OBJECTIVE_FAILURE_LIMIT + 1} failures abort),\n"
        "# measured on the canary's pods only; under the spec's minEvents a measurement is 0. Prometheus must keep\n"
        f"# the pod label rollouts-pod-template-hash as {POD_TEMPLATE_HASH_LABEL} and the namespace as "
        f"{NAMESPACE_LABEL} (docs/deployment.md).\n"
    )
    body = yaml.safe_dump(analysis_template(spec), sort_keys=False, width=4096, allow_unicode=True)
    return header + body
