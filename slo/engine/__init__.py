"""The pure SLO engine: the queries a spec needs, then observations in and evaluations out. No I/O here."""

from __future__ import annotations

from slo.engine.evaluate import evaluate, plan
from slo.engine.queries import Observations, Query
from slo.engine.results import Alert, Report

__all__ = ["Alert", "Observations", "Query", "Report", "evaluate", "plan"]
