"""OpenSLO v1 import and export for the kinds OpenSLO can express (ratio and latency-threshold SLOs).

Latency SLOs travel as OpenSLO ratio metrics (good = requests in the threshold's bucket, total = all
requests) with annotations that keep the threshold and percentile, so other OpenSLO tools read a valid
ratio SLO and our import gets the latency SLO back. Recovery objectives (gauges per tier, staleness) and the
daily spend objective have no OpenSLO form and are reported as skipped.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from slo.catalog import HISTOGRAMS
from slo.durations import format_duration
from slo.errors import SpecError
from slo.model import SLO, TIERS, GaugeIndicator, LatencyIndicator, Matcher, RatioIndicator, Selector, Spec
from slo.spec import API_VERSION
from telemetry import conventions as c

OPENSLO = "openslo/v1"
ANNOTATION = "todochat.slo/"
_SELECTOR = re.compile(r"^\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(?:\{(.*)\})?\s*$")
_MATCHER = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"\s*(?:,|$)')


def _source(selector: Selector) -> dict[str, Any]:
    return {"metricSource": {"type": "Prometheus", "spec": {"query": selector.promql()}}}


def _time_window(slo: SLO) -> list[dict[str, Any]]:
    w = slo.window
    if w.kind == "rolling":
        return [{"duration": format_duration(w.seconds), "isRolling": True}]
    duration = "1M" if w.unit == "month" else "1w"
    return [
        {"duration": duration, "isRolling": False, "calendar": {"startTime": "2024-01-01 00:00:00", "timeZone": "UTC"}}
    ]


def export_slo(slo: SLO, service: str) -> dict[str, Any]:
    """One SLO as an OpenSLO v1 document (ratio or latency SLOs only)."""
    ind = slo.indicator
    annotations = {f"{ANNOTATION}min-events": str(slo.min_events), f"{ANNOTATION}tiers": ",".join(slo.tiers)}
    if isinstance(ind, RatioIndicator):
        ratio = {"counter": True, "good" if ind.good else "bad": _source(ind.events), "total": _source(ind.total)}
    elif isinstance(ind, LatencyIndicator):
        ratio = {"counter": True, "good": _source(ind.good_bucket), "total": _source(ind.total)}
        annotations[f"{ANNOTATION}latency-threshold-seconds"] = f"{ind.threshold:g}"
        if ind.percentile is not None:
            annotations[f"{ANNOTATION}percentile"] = f"{ind.percentile:g}"
    else:
        raise ValueError(f"{slo.name}: OpenSLO has no form for gauge objectives")
    return {
        "apiVersion": OPENSLO,
        "kind": "SLO",
        "metadata": {"name": slo.name, "displayName": slo.description or slo.name, "annotations": annotations},
        "spec": {
            "description": slo.description,
            "service": service,
            "indicator": {"metadata": {"name": f"{slo.name}-sli"}, "spec": {"ratioMetric": ratio}},
            "timeWindow": _time_window(slo),
            "budgetingMethod": "Occurrences",
            "objectives": [{"displayName": slo.name, "target": slo.objective}],
        },
    }


def export_spec(spec: Spec) -> tuple[str, list[str]]:
    """Multi-document OpenSLO YAML (a Service and its SLOs) and the names of SLOs OpenSLO cannot express."""
    docs: list[dict[str, Any]] = [
        {"apiVersion": OPENSLO, "kind": "Service", "metadata": {"name": spec.service}, "spec": {"description": ""}}
    ]
    skipped = []
    for slo in spec.slos:
        if isinstance(slo.indicator, GaugeIndicator):
            skipped.append(slo.name)
        else:
            docs.append(export_slo(slo, spec.service))
    if spec.spend is not None:  # a ceiling on dollars, not a share of good events
        skipped.append(spec.spend.name)
    return yaml.safe_dump_all(docs, sort_keys=False, width=200), skipped


def parse_selector(query: str) -> Selector:
    """A PromQL series selector (`name{label="v",other!~"a|b"}`) as a Selector; raises ValueError otherwise."""
    m = _SELECTOR.match(query)
    if not m:
        raise ValueError(f"{query!r} is not a plain series selector")
    name, inner = m.group(1), (m.group(2) or "").strip()
    matchers = []
    pos = 0
    while pos < len(inner):
        mm = _MATCHER.match(inner, pos)
        if not mm:
            raise ValueError(f"cannot read label matchers in {query!r}")
        label, op, raw = mm.group(1), mm.group(2), mm.group(3).replace('\\"', '"').replace("\\\\", "\\")
        values = tuple(re.sub(r"\\(.)", r"\1", v) for v in raw.split("|")) if "~" in op else (raw,)
        matchers.append(Matcher(label, values, negate=op.startswith("!")))
        pos = mm.end()
    return Selector(name, tuple(matchers))


def _matchers_doc(matchers: tuple[Matcher, ...]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for m in matchers:
        value: Any = m.values[0] if len(m.values) == 1 else list(m.values)
        out[m.label] = {"not": value} if m.negate else value
    return out


def _metric_of(series: str) -> str:
    for suffix in ("_count", "_bucket"):
        if series.endswith(suffix) and series.removesuffix(suffix) in HISTOGRAMS:
            return series.removesuffix(suffix)
    return series


def _window_doc(windows: list[dict[str, Any]]) -> Any:
    w = windows[0]
    if w.get("isRolling", True):
        return w["duration"]
    return {"calendar": {"1M": "month", "1w": "week", "7d": "week", "30d": "month"}.get(w["duration"], "month")}


def import_slo(doc: dict[str, Any], indicators: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """One OpenSLO SLO document as a spec SLO entry."""
    meta, spec = doc["metadata"], doc["spec"]
    notes = meta.get("annotations") or {}
    indicator = spec.get("indicator") or indicators.get(spec.get("indicatorRef", ""))
    if indicator is None:
        raise ValueError(f"SLO {meta['name']!r}: indicator {spec.get('indicatorRef')!r} not found")
    ratio = indicator["spec"].get("ratioMetric")
    if ratio is None:
        raise ValueError(f"SLO {meta['name']!r}: only ratioMetric indicators can be imported")
    total = parse_selector(ratio["total"]["metricSource"]["spec"]["query"])
    side = "good" if "good" in ratio else "bad"
    events = parse_selector(ratio[side]["metricSource"]["spec"]["query"])
    common = tuple(m for m in events.matchers if m in total.matchers)
    extra = tuple(m for m in events.matchers if m not in total.matchers and m.label != c.LABEL_LE)
    target = float(spec["objectives"][0]["target"])
    entry: dict[str, Any] = {"name": meta["name"], "description": spec.get("description", "")}
    threshold = notes.get(f"{ANNOTATION}latency-threshold-seconds")
    body: dict[str, Any] = {"metric": _metric_of(total.series)}
    if common:
        body["filter"] = _matchers_doc(common)
    if threshold is not None:
        body["threshold"] = float(threshold)
        percentile = notes.get(f"{ANNOTATION}percentile")
        if percentile is not None:
            body["percentile"] = float(percentile)
            entry["indicator"] = {"latencyPercentile": body}
        else:
            entry["target"] = target
            entry["indicator"] = {"latencyThreshold": body}
    else:
        body[side] = _matchers_doc(extra)
        entry["target"] = target
        entry["indicator"] = {"ratio": body}
    entry["window"] = _window_doc(spec["timeWindow"])
    if f"{ANNOTATION}min-events" in notes:
        entry["minEvents"] = int(notes[f"{ANNOTATION}min-events"])
    if f"{ANNOTATION}tiers" in notes:
        entry["tiers"] = [t for t in notes[f"{ANNOTATION}tiers"].split(",") if t in TIERS]
    return entry


def import_openslo(text: str, source: str = "<memory>") -> dict[str, Any]:
    """OpenSLO v1 YAML documents as a spec document (validate it with slo.spec.parse_spec)."""
    try:
        docs = [d for d in yaml.safe_load_all(text) if d]
    except yaml.YAMLError as err:
        raise SpecError([f"{source}: not valid YAML: {err}"]) from err
    indicators = {d["metadata"]["name"]: d for d in docs if d.get("kind") == "SLI"}
    services = [d["metadata"]["name"] for d in docs if d.get("kind") == "Service"]
    slos, problems = [], []
    for d in docs:
        if d.get("apiVersion") != OPENSLO:
            problems.append(f"{source}: {d.get('kind')} {d.get('metadata', {}).get('name')!r}: not {OPENSLO}")
            continue
        if d.get("kind") == "SLO":
            try:
                slos.append(import_slo(d, indicators))
            except (KeyError, ValueError, IndexError, TypeError) as err:
                problems.append(f"{source}: {err}")
    if problems:
        raise SpecError(problems)
    service = services[0] if services else (docs[0]["spec"].get("service", "service") if docs else "service")
    return {"apiVersion": API_VERSION, "kind": "ServiceLevelObjectives", "service": service, "slos": slos}
