"""Reports as text tables a person reads at a glance."""

from __future__ import annotations

from collections.abc import Sequence

from slo.engine.results import Report
from slo.policy import ACTION_RANK


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A plain fixed-width table (safe in CI logs)."""
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))
    rule = "  ".join("-" * w for w in widths)
    body = ["  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)) for r in rows]
    return "\n".join([line, rule, *body])


def pct(value: float | None, digits: int = 3) -> str:
    return "-" if value is None else f"{value * 100:.{digits}f}%"


def num(value: float | None, fmt: str = ".3g") -> str:
    return "-" if value is None else format(value, fmt)


def duration(seconds: float | None) -> str:
    """Seconds as hours under two days, days above ("-" for none, "spent" for a budget already gone)."""
    if seconds is None:
        return "-"
    if seconds <= 0:
        return "spent"
    return f"{seconds / 3600:.1f}h" if seconds < 2 * 86400 else f"{seconds / 86400:.1f}d"


def policy_exit_code(action: str) -> int:
    """0 when no step holds, else 20 + action rank (notify 21, freeze_features 22, freeze_all 23)."""
    rank = ACTION_RANK[action]
    return 0 if rank == 0 else 20 + rank


def render_policy(report: Report) -> str:
    """The budget policy's decision, then each SLO's step, why it holds, and its time to exhaustion."""
    decision = report.policy
    if decision is None:
        return "no budget policy in this spec"
    head = f"decision: {decision.action} (exit {policy_exit_code(decision.action)})"
    if decision.slo is not None:
        head += f"\n  set by SLO {decision.slo}, step {decision.step}: {decision.why}"
    head += f"\n  {decision.reason}"
    tte = {s.slo: s.time_to_exhaustion for s in report.slos}
    left = {s.slo: s.error_budget_remaining for s in report.slos}
    rows = [
        [d.slo, d.action, d.step or "-", pct(left.get(d.slo), 1), duration(tte.get(d.slo)), d.why or "-"]
        for d in decision.slos
    ]
    return head + "\n\n" + table(["slo", "action", "step", "budget left", "exhausts in", "why"], rows)


def render(report: Report) -> str:
    """The whole report: SLOs, recovery objectives, rollback triggers, scaling signals, firing alerts."""
    parts = []
    rows = []
    for s in report.slos:
        burn = {w.window: w.burn_rate for w in s.windows}
        firing = ",".join(a.tier if a.kind == "burn_rate" else f"{a.kind}:{a.tier}" for a in s.alerts if a.firing)
        firing = firing or "-"
        measured = pct(s.sli) if s.percentile is None else f"{pct(s.sli)} p={num(s.percentile)}s"
        rows.append(
            [
                s.slo,
                pct(s.objective, 2) + (f" <= {s.threshold:g}s" if s.threshold is not None else ""),
                measured,
                pct(s.error_budget_remaining, 1),
                duration(s.time_to_exhaustion),
                num(burn.get("5m")),
                num(burn.get("1h")),
                num(burn.get("6h")),
                num(burn.get("3d")),
                s.status,
                firing,
            ]
        )
    headers = ["slo", "objective", "sli", "budget left", "exhausts in", "burn 5m", "1h", "6h", "3d", "status", "firing"]
    parts.append(table(headers, rows))
    if report.recovery:
        rows = []
        for g in report.recovery:
            limits = " ".join(f"{t}<={num(v, '.0f')}s" for t, v in g.thresholds)
            fired = ",".join(f"{a.kind}:{a.tier}" for a in g.alerts if a.firing) or "-"
            rows.append([g.slo, num(g.value, ".0f"), limits, num(g.age_of_evidence, ".0f"), g.status, fired])
        parts.append(table(["recovery", "seconds", "objectives", "evidence age s", "status", "firing"], rows))
    signals = [(r, "rollback") for r in report.rollback] + [(s, "scale out") for s in report.scaling]
    signals += [(s, "spend usd") for s in report.spend]
    if signals:
        rows = [
            [
                f"{kind}: {s.name}",
                s.instance or "-",
                num(s.value, ".4g"),
                num(s.threshold, ".4g"),
                "YES" if s.firing else "no",
            ]
            for s, kind in signals
        ]
        parts.append(table(["signal", "instance", "value", "threshold", "triggered"], rows))
    worst = report.worst_tier or "none"
    summary = f"worst tier firing: {worst}; scale out: {'yes' if report.scale_out else 'no'}"
    if report.policy is not None:
        summary += f"; budget policy: {report.policy.action}"
    parts.append(summary)
    return "\n\n".join(parts)
