#!/usr/bin/env bash
# Deploy gate: the error budget policy of the SLO spec, read from production's Prometheus, decides whether this
# release may roll out.
#   PROMETHEUS_URL=https://prometheus.example.com deploy/scripts/budget-gate.sh
# `todochat slo policy check` exits 0 (no step holds), 21 notify, 22 freeze_features, 23 freeze_all, 69 when
# Prometheus cannot be read. Overrides, for fixes (docs/slo.md, "Budget policy"):
#   SLO_OVERRIDE_LABEL=true   the commit's pull request carries the `slo-override` label: passes freeze_features
#   SLO_OVERRIDE_REASON=...   someone dispatched the deploy by hand with a reason: passes freeze_features,
#                             freeze_all and an unreadable Prometheus
set -euo pipefail

url=${PROMETHEUS_URL:?set PROMETHEUS_URL to the Prometheus that holds the SLO rules of production}
todochat=${TODOCHAT:-.venv/bin/todochat}
label=${SLO_OVERRIDE_LABEL:-false}
reason=${SLO_OVERRIDE_REASON:-}

set +e
"$todochat" slo policy check --prometheus "$url"
code=$?
set -e

pass() { echo "budget gate: $1"; exit 0; }
block() { echo "::error::budget gate: $1"; exit 1; }

case $code in
  0) pass "no step of the budget policy holds" ;;
  21) echo "::warning::budget gate: the budget policy asks the team to look (notify); the release goes ahead"
      exit 0 ;;
  22)
    if [[ -n $reason ]]; then pass "features are frozen; overridden by hand: $reason"; fi
    if [[ $label == true ]]; then pass "features are frozen; this release is a fix (slo-override label)"; fi
    block "features are frozen by the error budget policy; label a fix's pull request slo-override to ship it" ;;
  23)
    if [[ -n $reason ]]; then pass "every release is frozen; overridden by hand: $reason"; fi
    block "every release is frozen by the error budget policy; a fix ships only when dispatched by hand with slo_override (the reason)" ;;
  69)
    if [[ -n $reason ]]; then pass "Prometheus could not be read; overridden by hand: $reason"; fi
    block "Prometheus could not be read, so the budget is unknown; dispatch by hand with slo_override to ship anyway" ;;
  *) block "todochat slo policy check failed (exit $code)" ;;
esac
