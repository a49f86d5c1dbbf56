"""Loading a backup file into a database with pg_restore, decrypting on the fly when it is encrypted."""

from __future__ import annotations

import contextlib
import subprocess
from pathlib import Path

from app.recovery import crypto
from app.recovery.dsn import PostgresTarget
from app.recovery.errors import DecryptionFailed, RestoreFailed
from app.recovery.tools import stderr_file, tail, tool_env, watchdog


def restore_file(*, pg_restore: str, path: Path, target: PostgresTarget, key: bytes | None, timeout: float) -> None:
    """Restore `path` into the (empty) database `target`, in one transaction.

    Encrypted backups are decrypted chunk by chunk into pg_restore's stdin, so no plaintext copy of the
    dump ever lands on disk.

    Raises:
        DecryptionFailed: encrypted and no key, a wrong key, or a damaged file.
        RestoreFailed: pg_restore failed or timed out.
    """
    encrypted = crypto.is_encrypted(path)
    if encrypted and key is None:
        raise DecryptionFailed(f"{path.name} is encrypted but BACKUP_ENCRYPTION_KEY is not set")
    command = [
        pg_restore,
        "--no-password",
        "--no-owner",
        "--no-privileges",
        "--exit-on-error",
        "--single-transaction",
        f"--dbname={target.libpq_dsn()}",
    ]
    if not encrypted:
        command.append(str(path))
    with stderr_file() as errors:
        process = subprocess.Popen(  # noqa: S603 - fixed tool, no shell
            command,
            stdin=subprocess.PIPE if encrypted else subprocess.DEVNULL,
            stderr=errors,
            env=tool_env(target.libpq_env()),
        )
        with watchdog(process, timeout) as timed_out:
            try:
                if encrypted and key is not None:
                    _feed_decrypted(process, path, key)
            except BaseException:
                process.kill()
                process.wait()
                raise
            returncode = process.wait()
        if returncode != 0:
            why = f"timed out after {timeout:.0f} s" if timed_out.is_set() else f"exited with {returncode}"
            raise RestoreFailed(f"pg_restore {why}: {tail(errors)}")


def _feed_decrypted(process: subprocess.Popen[bytes], path: Path, key: bytes) -> None:
    assert process.stdin is not None
    try:
        with path.open("rb") as source:
            for chunk in crypto.decrypt_file(source, key):
                process.stdin.write(chunk)
    except BrokenPipeError:
        # pg_restore stopped reading: its exit code and stderr say why.
        pass
    finally:
        with contextlib.suppress(BrokenPipeError):
            process.stdin.close()
