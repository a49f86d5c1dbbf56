#!/usr/bin/env bash
# Apply the schema migrations of a release before its pods start: run the overlay's migration Job and wait for it.
#   deploy/scripts/migrate.sh deploy/k8s/overlays/production todochat
# Job specs are immutable, so the previous Job is deleted first. The Job needs its namespace, ConfigMap,
# ServiceAccount and network policies: all of them carry the label todochat/deploy-phase=pre-rollout and are
# applied together; the rest of the release comes after.
set -euo pipefail

overlay=${1:?usage: migrate.sh OVERLAY_DIR NAMESPACE}
namespace=${2:?usage: migrate.sh OVERLAY_DIR NAMESPACE}
job=todochat-migrate

kubectl -n "$namespace" delete job "$job" --ignore-not-found --wait=true
kubectl apply -k "$overlay" --selector todochat/deploy-phase=pre-rollout

# Poll rather than `kubectl wait`, which cannot stop early when the Job fails. Bounded: 10 minutes.
for _ in $(seq 120); do
  succeeded=$(kubectl -n "$namespace" get job "$job" -o jsonpath='{.status.succeeded}')
  failed=$(kubectl -n "$namespace" get job "$job" -o jsonpath='{.status.conditions[?(@.type=="Failed")].status}')
  if [[ "$succeeded" == "1" ]]; then
    kubectl -n "$namespace" logs "job/$job" --tail=20 || true
    echo "migrations applied"
    exit 0
  fi
  if [[ "$failed" == "True" ]]; then
    kubectl -n "$namespace" logs "job/$job" --tail=100 || true
    echo "migration Job failed" >&2
    exit 1
  fi
  sleep 5
done
echo "migration Job did not finish within 10 minutes" >&2
exit 1
