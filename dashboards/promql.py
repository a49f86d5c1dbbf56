"""PromQL for panels: selectors scoped by the dashboards' template variables, rates, shares and quantiles.

Environment: every scraped series carries `deployment_environment`, set as a target label by the scrape
config (or promoted from the OpenTelemetry resource attribute `deployment.environment` when metrics arrive
over OTLP). Prometheus adds `instance` and `job` itself. Series without the environment label still match
the "All" choice, whose value is `.*`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from slo.model import Selector
from telemetry import conventions as c

ENV_LABEL: Final = c.LABEL_ENVIRONMENT
ENV_VAR: Final = "env"
INSTANCE_VAR: Final = "instance"
SLO_VAR: Final = "slo"
RATE_WINDOW: Final = "$__rate_interval"  # Grafana's safe rate window: at least four scrape intervals
EXEMPLAR_TRACE_ID: Final = c.EXEMPLAR_TRACE_ID

SCOPE: Final = (f'{ENV_LABEL}=~"${ENV_VAR}"', f'{c.LABEL_INSTANCE}=~"${INSTANCE_VAR}"')


def eq(label: str, value: str) -> str:
    """An equality matcher."""
    return f'{label}="{value}"'


def ne(label: str, value: str) -> str:
    """An inequality matcher."""
    return f'{label}!="{value}"'


def spec_matchers(selector: Selector) -> tuple[str, ...]:
    """The label matchers of a spec selector, as PromQL."""
    return tuple(m.promql() for m in selector.matchers)


def sel(metric: str, *matchers: str, scoped: bool = True) -> str:
    """`metric{...}`, limited to the chosen environment and instances unless `scoped` is false."""
    parts = [*(SCOPE if scoped else ()), *matchers]
    return f"{metric}{{{','.join(parts)}}}" if parts else metric


def _by(labels: Iterable[str]) -> str:
    labels = tuple(labels)
    return f" by ({', '.join(labels)})" if labels else ""


def rate(series: str, *matchers: str, by: Iterable[str] = (), window: str = RATE_WINDOW) -> str:
    """Per-second rate of a counter series, summed (by `by`)."""
    return f"sum{_by(by)}(rate({sel(series, *matchers)}[{window}]))"


def share(series: str, bad: Iterable[str], *matchers: str, by: Iterable[str] = (), window: str = RATE_WINDOW) -> str:
    """Bad events over all events; zero (not "no data") while nothing has gone wrong."""
    by = tuple(by)
    total = rate(series, *matchers, by=by, window=window)
    failed = rate(series, *matchers, *bad, by=by, window=window)
    zero = f"{total} * 0" if by else "vector(0)"
    return f"({failed} or {zero}) / {total}"


def quantile(q: float, histogram: str, *matchers: str, by: Iterable[str] = (), window: str = RATE_WINDOW) -> str:
    """The q-quantile of a histogram over the window (by `by`)."""
    return f"histogram_quantile({q:g}, {rate(f'{histogram}_bucket', *matchers, by=(c.LABEL_LE, *by), window=window)})"


def average(histogram: str, *matchers: str, by: Iterable[str] = (), window: str = RATE_WINDOW) -> str:
    """Mean observation of a histogram over the window."""
    by = tuple(by)
    return (
        f"{rate(f'{histogram}_sum', *matchers, by=by, window=window)}"
        f" / {rate(f'{histogram}_count', *matchers, by=by, window=window)}"
    )


def rule(name: str, *matchers: str) -> str:
    """A recording rule's series: rules aggregate over instances, so no environment or instance scope."""
    return sel(name, *matchers, scoped=False)


def highest_tier(slo: str, ranks: dict[str, int]) -> str:
    """The rank of the most severe alert firing for `slo`, 0 when none is (ranks: tier -> number)."""
    parts = []
    for tier, rank in sorted(ranks.items(), key=lambda item: -item[1]):
        firing = sel(
            "ALERTS", eq("alertstate", "firing"), eq(c.LABEL_SLO, slo), eq(c.LABEL_SEVERITY, tier), scoped=False
        )
        parts.append(f"max({firing}) * {rank}")
    return " or ".join([*parts, "vector(0)"])
