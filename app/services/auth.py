"""Accounts and sessions: registration, login, refresh-token rotation with reuse detection, logout, deletion."""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.core import security
from app.core.config import Settings
from app.core.errors import Conflict, Unauthorized
from app.db.models import RefreshToken, User
from app.schemas.auth import UserCreate, UserPublic, UserUpdate


@dataclass(frozen=True, slots=True)
class IssuedTokens:
    access_token: str
    refresh_token: str
    expires_in: int
    refresh_expires_at: datetime
    user: UserPublic


def _as_utc(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes; every stored time is UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def session_ends_at(settings: Settings, session_started_at: datetime) -> datetime:
    """When a login session ends regardless of refreshes (the absolute session lifetime)."""
    return _as_utc(session_started_at) + timedelta(hours=settings.session_max_hours)


async def register(*, session: AsyncSession, data: UserCreate) -> UserPublic:
    """Create an account.

    Raises:
        Conflict: the e-mail address is taken.
    """
    # argon2 spends tens of milliseconds of CPU by design: off the event loop, so other requests keep flowing.
    password_hash = await asyncio.to_thread(security.hash_password, data.password)
    user = User(email=data.email.lower(), password_hash=password_hash, timezone=data.timezone)
    session.add(user)
    try:
        await session.commit()
    except IntegrityError as err:
        await session.rollback()
        raise Conflict("An account with this e-mail address already exists.") from err
    return UserPublic.model_validate(user)


async def authenticate(*, session: AsyncSession, email: str, password: str) -> User:
    """The account with these credentials; the same error whether the e-mail or the password is wrong."""
    user = await session.scalar(select(User).where(User.email == email.lower()))
    valid = await asyncio.to_thread(security.verify_password, password, user.password_hash if user else None)
    if not valid or user is None:
        raise Unauthorized("The e-mail address or password is wrong.")
    return user


async def get_user(*, session: AsyncSession, user_id: uuid.UUID) -> UserPublic:
    """The account a token names.

    Raises:
        Unauthorized: the account has been deleted.
    """
    user = await session.get(User, user_id)
    if user is None:
        raise Unauthorized("The account for this token no longer exists.")
    return UserPublic.model_validate(user)


async def update_user(*, session: AsyncSession, user_id: uuid.UUID, data: UserUpdate) -> UserPublic:
    """Change the account's settings.

    Raises:
        Unauthorized: the account has been deleted.
    """
    user = await session.get(User, user_id)
    if user is None:
        raise Unauthorized("The account for this token no longer exists.")
    user.timezone = data.timezone
    await session.commit()
    return UserPublic.model_validate(user)


async def delete_user(*, session: AsyncSession, user_id: uuid.UUID) -> list[uuid.UUID]:
    """Delete the account and everything it owns; returns its login sessions, for the caller to revoke.

    Tasks, their history, events, conversations with their messages and refresh tokens go with the account
    (foreign keys cascade, on SQLite as on PostgreSQL).

    Raises:
        Unauthorized: the account has already been deleted.
    """
    families = list(
        await session.scalars(select(RefreshToken.family_id).where(RefreshToken.user_id == user_id).distinct())
    )
    deleted = await session.execute(delete(User).where(User.id == user_id).returning(User.id))
    if deleted.scalar_one_or_none() is None:
        await session.rollback()
        raise Unauthorized("The account for this token no longer exists.")
    await session.commit()
    return families


async def _issue(
    *,
    session: AsyncSession,
    settings: Settings,
    user: UserPublic,
    family_id: uuid.UUID,
    session_started_at: datetime,
) -> IssuedTokens:
    now = datetime.now(UTC)
    # Neither token outlives the absolute session lifetime.
    session_end = session_ends_at(settings, session_started_at)
    expires_at = min(now + timedelta(days=settings.refresh_token_expire_days), session_end)
    access_expires_at = min(now + timedelta(minutes=settings.access_token_expire_minutes), session_end)
    raw = security.new_refresh_token()
    session.add(
        RefreshToken(
            user_id=user.id,
            token_hash=security.hash_refresh_token(raw),
            family_id=family_id,
            session_started_at=session_started_at,
            expires_at=expires_at,
        )
    )
    await session.commit()
    return IssuedTokens(
        access_token=security.create_access_token(
            settings, user_id=user.id, session_id=family_id, not_after=access_expires_at
        ),
        refresh_token=raw,
        expires_in=max(int((access_expires_at - now).total_seconds()), 0),
        refresh_expires_at=expires_at,
        user=user,
    )


async def login(*, session: AsyncSession, settings: Settings, email: str, password: str) -> IssuedTokens:
    """Start a login session: a new token family.

    Raises:
        Unauthorized: wrong e-mail or password.
    """
    user = await authenticate(session=session, email=email, password=password)
    return await start_session(session=session, settings=settings, user=UserPublic.model_validate(user))


async def start_session(*, session: AsyncSession, settings: Settings, user: UserPublic) -> IssuedTokens:
    """Begin a login session (a new token family) for a user whose identity is already established."""
    return await _issue(
        session=session,
        settings=settings,
        user=user,
        family_id=uuid.uuid4(),
        session_started_at=datetime.now(UTC),
    )


async def refresh(*, session: AsyncSession, settings: Settings, refresh_token: str) -> IssuedTokens:
    """Rotate: the presented token is spent and a new one of the same family issued.

    Raises:
        Unauthorized: unknown, expired or revoked token; or a reused one, which also revokes its family.
    """
    now = datetime.now(UTC)
    token_hash = security.hash_refresh_token(refresh_token)
    # Spend the token atomically: of two concurrent presentations of one token only one wins.
    spent = await session.execute(
        update(RefreshToken)
        .where(
            RefreshToken.token_hash == token_hash,
            RefreshToken.used_at.is_(None),
            RefreshToken.revoked_at.is_(None),
        )
        .values(used_at=now)
        .returning(RefreshToken.id)
    )
    spent_id = spent.scalar_one_or_none()
    row = await session.scalar(select(RefreshToken).where(RefreshToken.token_hash == token_hash))
    if row is None:
        await session.rollback()
        raise Unauthorized("The refresh token is not valid.")
    if spent_id is None:
        if row.revoked_at is None:
            # Reuse of a spent token means it was copied: end every session of that family.
            await revoke_family(session=session, family_id=row.family_id)
            raise Unauthorized("This refresh token was already used; the session has been ended for safety.")
        await session.rollback()
        raise Unauthorized("The session has ended; sign in again.")
    if _as_utc(row.expires_at) <= now:
        await session.rollback()
        raise Unauthorized("The session has expired; sign in again.")
    if session_ends_at(settings, row.session_started_at) <= now:
        await session.rollback()
        raise Unauthorized(f"The session has reached its {settings.session_max_hours}-hour limit; sign in again.")
    user = await get_user(session=session, user_id=row.user_id)
    return await _issue(
        session=session,
        settings=settings,
        user=user,
        family_id=row.family_id,
        session_started_at=_as_utc(row.session_started_at),
    )


async def revoke_family(*, session: AsyncSession, family_id: uuid.UUID) -> None:
    """End a login session: every refresh token of its family stops working."""
    await session.execute(
        update(RefreshToken)
        .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=datetime.now(UTC))
    )
    await session.commit()


async def is_session_active(*, session: AsyncSession, family_id: uuid.UUID) -> bool:
    """A session is active while its family has a token that is neither revoked nor expired."""
    row = await session.scalar(
        select(RefreshToken.id)
        .where(
            RefreshToken.family_id == family_id,
            RefreshToken.revoked_at.is_(None),
            RefreshToken.expires_at > datetime.now(UTC),
        )
        .limit(1)
    )
    return row is not None


async def require_active_session(*, session: AsyncSession, user_id: uuid.UUID, session_id: uuid.UUID) -> str:
    """Check, for an access token that verified, that its login session and its account still exist; returns the
    user's time zone name, read in the same statement, for callers that need it next.

    Raises:
        Unauthorized: the account was deleted, or the session was signed out, ended by reuse detection, or expired.
    """
    active = (
        await session.execute(
            select(User.timezone)
            .join(RefreshToken, RefreshToken.user_id == User.id)
            .where(
                RefreshToken.family_id == session_id,
                RefreshToken.user_id == user_id,
                RefreshToken.revoked_at.is_(None),
                RefreshToken.expires_at > datetime.now(UTC),
            )
            .limit(1)
        )
    ).first()
    if active is not None:
        return str(active.timezone)
    if await session.get(User, user_id) is None:
        raise Unauthorized("The account for this token no longer exists.")
    raise Unauthorized("This session has ended; sign in again.")


async def family_of(*, session: AsyncSession, refresh_token: str) -> uuid.UUID | None:
    """The login session a refresh token belongs to, whether or not it is still valid."""
    return await session.scalar(
        select(RefreshToken.family_id).where(RefreshToken.token_hash == security.hash_refresh_token(refresh_token))
    )


class ActiveSessionCache:
    """Recent positive answers of the active-session check, so that reads skip a database round trip.

    Only "active" is remembered, for `ttl_seconds`; a refusal is never cached. Callers check the revocation store
    first, so a sign-out on this instance (or on any, through Redis) is refused at once; `forget` drops an entry
    when this instance ends a session. Bounded: when full, the oldest entries go first.
    """

    def __init__(self, ttl_seconds: float, max_entries: int) -> None:
        self.ttl_seconds = ttl_seconds
        self.max_entries = max_entries
        # session id -> (its user, when the answer stops being trusted); insertion order is expiry order.
        self._entries: dict[uuid.UUID, tuple[uuid.UUID, float]] = {}

    def is_active(self, *, user_id: uuid.UUID, session_id: uuid.UUID) -> bool:
        """Whether the session, of this user, was seen active within the last `ttl_seconds`."""
        entry = self._entries.get(session_id)
        if entry is None or entry[0] != user_id:
            return False
        if entry[1] <= time.monotonic():
            del self._entries[session_id]
            return False
        return True

    def remember(self, *, user_id: uuid.UUID, session_id: uuid.UUID) -> None:
        """Record that the database just answered "active" for this session."""
        if self.ttl_seconds <= 0:
            return
        self._entries.pop(session_id, None)
        if len(self._entries) >= self.max_entries:
            self._evict()
        self._entries[session_id] = (user_id, time.monotonic() + self.ttl_seconds)

    def forget(self, session_id: uuid.UUID) -> None:
        """Drop the entry of a session this instance has just ended."""
        self._entries.pop(session_id, None)

    def __len__(self) -> int:
        return len(self._entries)

    def _evict(self) -> None:
        now = time.monotonic()
        self._entries = {sid: entry for sid, entry in self._entries.items() if entry[1] > now}
        # Still full of live entries: drop the oldest tenth, so eviction stays rare.
        excess = len(self._entries) - self.max_entries + max(self.max_entries // 10, 1)
        for sid in list(self._entries)[: max(excess, 0)]:
            del self._entries[sid]


class VerifiedTokens:
    """Claims of access tokens whose signature this process has checked, reused until the token expires.

    Checking an HMAC signature costs more than the rest of a cheap read; the same exact token string always
    verifies the same way under one key, so a hit is as good as a fresh check. Bounded: emptied when full.
    """

    def __init__(self, settings: Settings, max_entries: int) -> None:
        self._settings = settings
        self.max_entries = max_entries
        self._claims: dict[str, security.AccessClaims] = {}

    def claims(self, token: str) -> security.AccessClaims:
        """The token's claims.

        Raises:
            Unauthorized: the token is malformed, badly signed, of another type, or expired.
        """
        known = self._claims.get(token)
        if known is not None and known.expires_at > datetime.now(UTC):
            return known
        claims = security.decode_access_token(self._settings, token)
        if len(self._claims) >= self.max_entries:
            self._claims.clear()
        self._claims[token] = claims
        return claims
