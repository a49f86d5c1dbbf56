#!/usr/bin/env bash
# Continuous WAL archiving and PITR-ready backups for self-hosted PostgreSQL (Debian) with pgBackRest.
#
#   sudo deploy/backup/pgbackrest-setup.sh [--version 15] [--cluster main] [--stanza todochat]
#        [--repo /var/lib/pgbackrest] [--cipher-pass-file /etc/todochat/pgbackrest.pass]
#        [--archive-timeout 60s] [--dry-run]
#
# What it does, idempotently: installs pgbackrest; writes /etc/pgbackrest/pgbackrest.conf (encrypted repo when
# a cipher pass file is given; full backups kept 30 days, WAL kept for the last 7 differential backups);
# turns on archive_mode with archive_command = pgbackrest archive-push and an archive_timeout that bounds the
# data-loss window on a quiet database; restarts the cluster (archive_mode needs it); creates the stanza,
# checks that a WAL segment reaches the repository, and takes the first full backup.
# Schedule afterwards (cron or systemd, as postgres): full weekly, differential daily, e.g.
#   30 2 * * 0   pgbackrest --stanza=todochat --type=full backup
#   30 2 * * 1-6 pgbackrest --stanza=todochat --type=diff backup
set -euo pipefail

version=15 cluster=main stanza=todochat repo=/var/lib/pgbackrest pass_file="" archive_timeout=60s dry_run=0
config=/etc/pgbackrest/pgbackrest.conf
while [ "$#" -gt 0 ]; do
  case "$1" in
    --version) version=$2; shift 2 ;;
    --cluster) cluster=$2; shift 2 ;;
    --stanza) stanza=$2; shift 2 ;;
    --repo) repo=$2; shift 2 ;;
    --cipher-pass-file) pass_file=$2; shift 2 ;;
    --archive-timeout) archive_timeout=$2; shift 2 ;;
    --config) config=$2; shift 2 ;;
    --dry-run) dry_run=1; shift ;;
    -h|--help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown option: $1 (see --help)" >&2; exit 2 ;;
  esac
done

pgdata="/var/lib/postgresql/$version/$cluster"
port=$(pg_conftool -s "$version" "$cluster" show port 2>/dev/null || echo 5432)

run() {
  echo "+ $*"
  [ "$dry_run" = 1 ] || "$@"
}
as_postgres() {
  run runuser -u postgres -- "$@"
}

render_config() {
  cat <<CONF
# Written by deploy/backup/pgbackrest-setup.sh
[global]
repo1-path=$repo
# Full backups restorable for 30 days; WAL (point-in-time recovery) for the last 7 differential backups.
repo1-retention-full-type=time
repo1-retention-full=30
repo1-retention-archive-type=diff
repo1-retention-archive=7
compress-type=zst
process-max=2
start-fast=y
# archive-push returns as soon as the segment is queued locally; a background process ships it.
archive-async=y
spool-path=/var/spool/pgbackrest
log-level-console=info
log-level-file=detail
CONF
  if [ -n "$pass_file" ]; then
    echo "repo1-cipher-type=aes-256-cbc"
    echo "repo1-cipher-pass=$(cat "$pass_file")"
  fi
  cat <<CONF

[$stanza]
pg1-path=$pgdata
pg1-port=$port
pg1-socket-path=/var/run/postgresql
CONF
}

if ! command -v pgbackrest >/dev/null 2>&1; then
  run apt-get install -y --no-install-recommends pgbackrest
fi
if [ -n "$pass_file" ] && [ ! -s "$pass_file" ]; then
  echo "cipher pass file $pass_file is missing or empty (make one: openssl rand -base64 48 > $pass_file)" >&2
  exit 1
fi

echo "+ write $config"
if [ "$dry_run" = 1 ]; then
  render_config | sed 's/^repo1-cipher-pass=.*/repo1-cipher-pass=<from pass file>/'
else
  install -d -m 750 -o postgres -g postgres "$(dirname "$config")" "$repo" /var/spool/pgbackrest /var/log/pgbackrest
  umask 077
  render_config > "$config.tmp"
  chown postgres:postgres "$config.tmp"
  chmod 640 "$config.tmp"
  mv "$config.tmp" "$config"
fi

psql_cmd=(psql --no-psqlrc -v ON_ERROR_STOP=1 -p "$port" -d postgres -c)
as_postgres "${psql_cmd[@]}" "ALTER SYSTEM SET wal_level = 'replica'"
as_postgres "${psql_cmd[@]}" "ALTER SYSTEM SET archive_mode = 'on'"
as_postgres "${psql_cmd[@]}" "ALTER SYSTEM SET archive_command = 'pgbackrest --stanza=$stanza archive-push %p'"
# A quiet database fills a 16 MB segment slowly; switching at least this often bounds the RPO.
as_postgres "${psql_cmd[@]}" "ALTER SYSTEM SET archive_timeout = '$archive_timeout'"
as_postgres "${psql_cmd[@]}" "ALTER SYSTEM SET max_wal_senders = 3"
run pg_ctlcluster --skip-systemctl-redirect "$version" "$cluster" restart

as_postgres pgbackrest --stanza="$stanza" stanza-create
as_postgres pgbackrest --stanza="$stanza" check
as_postgres pgbackrest --stanza="$stanza" --type=full backup
as_postgres pgbackrest --stanza="$stanza" info
echo "pgBackRest is archiving WAL for stanza $stanza; point-in-time restore: deploy/backup/pitr-restore.sh --help"
