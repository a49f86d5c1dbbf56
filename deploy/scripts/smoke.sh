#!/usr/bin/env bash
# Post-deployment smoke test: liveness, readiness and the web UI answer over HTTPS, with HSTS on the answer.
#   deploy/scripts/smoke.sh https://staging.todochat.example.com
set -euo pipefail

base=${1:?usage: smoke.sh BASE_URL}

for _ in $(seq 30); do
  if curl -fsS --max-time 5 "$base/health/ready" >/dev/null; then
    break
  fi
  sleep 10
done
curl -fsS --max-time 5 "$base/health"
curl -fsS --max-time 5 "$base/health/ready"
curl -fsS --max-time 5 -o /dev/null "$base/"
curl -fsS --max-time 5 -D - -o /dev/null "$base/health" | grep -qi '^strict-transport-security: max-age=31536000'
echo "smoke test passed: $base"
