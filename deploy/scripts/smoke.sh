#!/usr/bin/env bash
# Post-deployment smoke test: once the service is ready, `todochat smoke` signs up a throwaway user, creates a task,
# chats, reads back, lists the MCP tools with the user's token and deletes the user again (exit codes in
# docs/deployment.md); then the web UI must answer and HSTS be on. Options after the URL go to `todochat smoke`:
#   deploy/scripts/smoke.sh https://staging.todochat.example.com
#   deploy/scripts/smoke.sh https://todochat.example.com --header "X-Canary: always"   # the canary's pods only
set -euo pipefail

base=${1:?usage: smoke.sh BASE_URL [todochat smoke options]}
shift
todochat=${TODOCHAT:-.venv/bin/todochat}

for _ in $(seq 30); do
  if curl -fsS --max-time 5 "$base/health/ready" >/dev/null; then
    break
  fi
  sleep 10
done
"$todochat" smoke --url "$base" --timeout 60 "$@"
curl -fsS --max-time 5 -o /dev/null "$base/"
curl -fsS --max-time 5 -D - -o /dev/null "$base/health" | grep -qi '^strict-transport-security: max-age=31536000'
echo "smoke test passed: $base"
