"""Expected failures of backups and restore drills; the CLI turns them into a message and an exit code."""

from __future__ import annotations

from app.core.errors import AppError


class RecoveryError(AppError):
    """Base of every backup and restore-drill failure."""

    code = "recovery_error"


class RecoveryConfigError(RecoveryError):
    """The settings cannot work (no PostgreSQL URL, malformed encryption key ...)."""

    code = "recovery_config_error"


class BackupFailed(RecoveryError):
    """pg_dump or the snapshot that frames it failed."""

    code = "backup_failed"


class NoBackup(RecoveryError):
    """There is no successful backup to restore."""

    code = "no_backup"


class ChecksumMismatch(RecoveryError):
    """The backup file is not the file that was written: it changed or was damaged since."""

    code = "checksum_mismatch"


class DecryptionFailed(RecoveryError):
    """The backup cannot be decrypted: wrong or missing key, or a damaged file."""

    code = "decryption_failed"


class RestoreFailed(RecoveryError):
    """pg_restore could not load the backup into the scratch database."""

    code = "restore_failed"
