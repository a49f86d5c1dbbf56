"""Passwords (argon2) and tokens (JWT HS256 access tokens, opaque rotating refresh tokens)."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from app.core.config import Settings
from app.core.errors import Unauthorized

_hasher = PasswordHasher()
# Verified against when the e-mail is unknown, so a login takes as long either way.
_DUMMY_HASH = _hasher.hash("not-a-real-password")
ACCESS_TOKEN_TYPE = "access"  # noqa: S105 - a token type name, not a secret


def hash_password(password: str) -> str:
    """The argon2 hash to store for a password."""
    return _hasher.hash(password)


def verify_password(password: str, password_hash: str | None) -> bool:
    """Whether the password matches; with no hash it still spends the time of a check, then answers False."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


@dataclass(frozen=True, slots=True)
class AccessClaims:
    user_id: uuid.UUID
    session_id: uuid.UUID
    expires_at: datetime


def create_access_token(
    settings: Settings, *, user_id: uuid.UUID, session_id: uuid.UUID, not_after: datetime | None = None
) -> str:
    """A signed access token for one login session; it expires after the configured minutes or at `not_after`."""
    now = datetime.now(UTC)
    expires_at = now + timedelta(minutes=settings.access_token_expire_minutes)
    if not_after is not None:
        expires_at = min(expires_at, not_after)
    claims = {
        "sub": str(user_id),
        "sid": str(session_id),
        "typ": ACCESS_TOKEN_TYPE,
        "iat": now,
        "exp": expires_at,
        "jti": secrets.token_hex(8),
    }
    return jwt.encode(claims, settings.secret_key.get_secret_value(), algorithm=settings.algorithm)


def decode_access_token(settings: Settings, token: str) -> AccessClaims:
    """Check signature, algorithm, expiry and type.

    Raises:
        Unauthorized: with a message that says which check failed.
    """
    try:
        claims = jwt.decode(
            token,
            settings.secret_key.get_secret_value(),
            algorithms=[settings.algorithm],
            options={"require": ["sub", "exp", "iat", "sid", "typ"]},
        )
    except jwt.ExpiredSignatureError as err:
        raise Unauthorized("The access token has expired; refresh it or sign in again.") from err
    except jwt.InvalidAlgorithmError as err:
        raise Unauthorized("The access token is signed with an algorithm this service does not accept.") from err
    except jwt.InvalidSignatureError as err:
        raise Unauthorized("The access token's signature is not valid.") from err
    except jwt.InvalidTokenError as err:
        raise Unauthorized("The access token is malformed.") from err
    if claims.get("typ") != ACCESS_TOKEN_TYPE:
        raise Unauthorized("This is not an access token.")
    try:
        return AccessClaims(
            user_id=uuid.UUID(claims["sub"]),
            session_id=uuid.UUID(claims["sid"]),
            expires_at=datetime.fromtimestamp(claims["exp"], UTC),
        )
    except (ValueError, TypeError) as err:
        raise Unauthorized("The access token is malformed.") from err


def new_refresh_token() -> str:
    """An opaque random refresh token (only its hash is stored)."""
    return secrets.token_urlsafe(48)


def hash_refresh_token(token: str) -> str:
    """The stored form of a refresh token: high-entropy, so a plain SHA-256 suffices."""
    return hashlib.sha256(token.encode()).hexdigest()
