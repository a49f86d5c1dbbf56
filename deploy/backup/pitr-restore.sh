#!/usr/bin/env bash
# Point-in-time restore of self-hosted PostgreSQL: a base backup plus archived WAL, replayed up to a moment.
#
# With pgBackRest (the recommended path; stop the server first):
#   pitr-restore.sh --pgbackrest todochat --target-time "2026-01-31 09:55:00+00"
# With a plain base backup (pg_basebackup -Fp) and the archive written by archive-wal.sh:
#   pitr-restore.sh --base-backup /backups/base --archive /var/lib/postgresql/wal-archive \
#                   --data-dir /var/lib/postgresql/15/restored --target-time "2026-01-31 09:55:00+00"
# Then start the server on that data directory; it replays WAL up to the target time and promotes.
# Recovery stops at the last commit before the target, so pick a time just before the mistake.
set -euo pipefail

usage() {
  sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

stanza="" base="" archive="" datadir="" target=""
action=promote
while [ "$#" -gt 0 ]; do
  case "$1" in
    --pgbackrest) stanza=$2; shift 2 ;;
    --base-backup) base=$2; shift 2 ;;
    --archive) archive=$2; shift 2 ;;
    --data-dir) datadir=$2; shift 2 ;;
    --target-time) target=$2; shift 2 ;;
    --target-action) action=$2; shift 2 ;;
    -h|--help) usage ;;
    *) echo "unknown option: $1" >&2; usage ;;
  esac
done
[ -n "$target" ] || { echo "--target-time is required (e.g. \"2026-01-31 09:55:00+00\")" >&2; exit 2; }

if [ -n "$stanza" ]; then
  # --delta rewrites only the files that differ, so restoring over the old data directory is fast.
  exec pgbackrest --stanza="$stanza" --delta --type=time --target="$target" \
    --target-action="$action" restore
fi

[ -n "$base" ] && [ -n "$archive" ] && [ -n "$datadir" ] || {
  echo "without --pgbackrest, --base-backup, --archive and --data-dir are all required" >&2
  exit 2
}
[ -f "$base/PG_VERSION" ] || { echo "$base is not a plain-format base backup (no PG_VERSION)" >&2; exit 1; }
if [ -e "$datadir" ] && [ -n "$(ls -A "$datadir")" ]; then
  echo "$datadir is not empty; restore into a new directory (never over a live cluster)" >&2
  exit 1
fi

mkdir -p "$datadir"
chmod 700 "$datadir"
cp -a "$base/." "$datadir/"
# Segments in the backup's pg_wal may be older than the archive's; recovery reads the archive.
rm -rf "${datadir:?}/pg_wal/"*
cat >> "$datadir/postgresql.auto.conf" <<CONF
# point-in-time recovery, written by pitr-restore.sh
restore_command = 'cp "$archive/%f" "%p"'
recovery_target_time = '$target'
recovery_target_action = '$action'
archive_mode = 'off'
CONF
touch "$datadir/recovery.signal"
echo "prepared $datadir: start PostgreSQL on it to replay WAL up to $target"
