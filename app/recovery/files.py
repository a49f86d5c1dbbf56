"""File helpers for backups: private files, streamed checksums, durable renames."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import BinaryIO

from app.recovery.errors import ChecksumMismatch

READ_BYTES = 1024 * 1024


def open_private(path: Path) -> BinaryIO:
    """Create `path` for writing, readable by the owner only."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    return os.fdopen(fd, "wb")


def sha256_file(path: Path) -> str:
    """SHA-256 of a file, read in bounded chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(READ_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def verify_sha256(path: Path, expected: str) -> None:
    """Check a backup file against the checksum recorded when it was written.

    Raises:
        ChecksumMismatch: the file is missing or its content changed.
    """
    if not path.is_file():
        raise ChecksumMismatch(f"backup file {path} is missing")
    actual = sha256_file(path)
    if actual != expected:
        raise ChecksumMismatch(
            f"checksum mismatch for {path.name}: the file's SHA-256 is {actual}, the backup record says {expected}; "
            "the file was damaged or changed after it was written, so it is not restored"
        )


def durable_replace(tmp: Path, final: Path) -> None:
    """Rename into place and sync the directory, so a crash never leaves a half-written backup under its name."""
    os.replace(tmp, final)
    fd = os.open(final.parent, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
