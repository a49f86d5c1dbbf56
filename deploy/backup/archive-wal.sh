#!/usr/bin/env bash
# archive_command for self-hosted PostgreSQL without pgBackRest: copy one WAL segment into an archive
# directory durably, and never overwrite a different file of the same name.
#
#   archive_command = '/opt/todochat/deploy/backup/archive-wal.sh %p %f /var/lib/postgresql/wal-archive'
#   restore_command = 'cp /var/lib/postgresql/wal-archive/%f %p'
#
# PostgreSQL treats a non-zero exit as "not archived" and retries the segment, keeping it in pg_wal meanwhile.
set -euo pipefail

if [ "$#" -ne 3 ]; then
  echo "usage: $0 <%p: segment path> <%f: segment name> <archive directory>" >&2
  exit 2
fi
src=$1
name=$2
dir=$3
dest="$dir/$name"

if [ -e "$dest" ]; then
  # A segment archived just before a crash is offered again afterwards: the same bytes mean done.
  if cmp -s "$src" "$dest"; then
    exit 0
  fi
  echo "archive-wal: $dest already exists with different content; refusing to overwrite" >&2
  exit 1
fi

tmp="$dir/.$name.partial.$$"
trap 'rm -f "$tmp"' EXIT
cp "$src" "$tmp"
sync "$tmp"          # the bytes are on disk before the name appears
mv "$tmp" "$dest"
sync "$dir"          # and so is the name
trap - EXIT
