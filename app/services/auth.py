"""Accounts and sessions: registration, login, refresh-token rotation with reuse detection, logout."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.core import security
from app.core.config import Settings
from app.core.errors import Conflict, Unauthorized
from app.db.models import RefreshToken, User
from app.schemas.auth import UserCreate, UserPublic


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


async def register(*, session: AsyncSession, data: UserCreate) -> UserPublic:
    user = User(email=data.email.lower(), password_hash=security.hash_password(data.password))
    session.add(user)
    try:
        await session.commit()
    except IntegrityError as err:
        await session.rollback()
        raise Conflict("An account with this e-mail address already exists.") from err
    return UserPublic.model_validate(user)


async def authenticate(*, session: AsyncSession, email: str, password: str) -> User:
    user = await session.scalar(select(User).where(User.email == email.lower()))
    if not security.verify_password(password, user.password_hash if user else None) or user is None:
        raise Unauthorized("The e-mail address or password is wrong.")
    return user


async def get_user(*, session: AsyncSession, user_id: uuid.UUID) -> UserPublic:
    user = await session.get(User, user_id)
    if user is None:
        raise Unauthorized("The account for this token no longer exists.")
    return UserPublic.model_validate(user)


async def _issue(
    *,
    session: AsyncSession,
    settings: Settings,
    user: UserPublic,
    family_id: uuid.UUID,
    session_started_at: datetime,
) -> IssuedTokens:
    now = datetime.now(UTC)
    # A refresh token never outlives the absolute session lifetime.
    expires_at = min(
        now + timedelta(days=settings.refresh_token_expire_days),
        session_started_at + timedelta(hours=settings.session_max_hours),
    )
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
        access_token=security.create_access_token(settings, user_id=user.id, session_id=family_id),
        refresh_token=raw,
        expires_in=settings.access_token_expire_minutes * 60,
        refresh_expires_at=expires_at,
        user=user,
    )


async def login(*, session: AsyncSession, settings: Settings, email: str, password: str) -> IssuedTokens:
    user = await authenticate(session=session, email=email, password=password)
    return await _issue(
        session=session,
        settings=settings,
        user=UserPublic.model_validate(user),
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
    user = await get_user(session=session, user_id=row.user_id)
    return await _issue(
        session=session,
        settings=settings,
        user=user,
        family_id=row.family_id,
        session_started_at=_as_utc(row.session_started_at),
    )


async def revoke_family(*, session: AsyncSession, family_id: uuid.UUID) -> None:
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


async def family_of(*, session: AsyncSession, refresh_token: str) -> uuid.UUID | None:
    return await session.scalar(
        select(RefreshToken.family_id).where(RefreshToken.token_hash == security.hash_refresh_token(refresh_token))
    )
