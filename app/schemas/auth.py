from __future__ import annotations

import uuid
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, EmailStr, Field

from app.core.errors import InvalidInput
from app.schemas.common import UtcDateTime
from app.services.dates import DEFAULT_ZONE, valid_zone


def _zone(name: str) -> str:
    try:
        return valid_zone(name.strip())
    except InvalidInput as err:
        raise ValueError(err.message) from err


TimeZoneName = Annotated[
    str, Field(max_length=64, description="IANA time zone, e.g. Europe/Berlin"), AfterValidator(_zone)
]


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: EmailStr = Field(max_length=320)
    password: str = Field(min_length=8, max_length=128)
    timezone: TimeZoneName = DEFAULT_ZONE


class UserUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    timezone: TimeZoneName


class LoginRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: EmailStr = Field(max_length=320)
    password: str = Field(min_length=1, max_length=128)


class RefreshRequest(BaseModel):
    """The refresh token; may be omitted when it travels in the `refresh_token` cookie."""

    model_config = ConfigDict(extra="forbid")

    refresh_token: str | None = Field(default=None, max_length=200)


class UserPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    email: str
    timezone: str
    created_at: UtcDateTime


class TokenPair(BaseModel):
    access_token: str
    refresh_token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth2 token type name
    expires_in: int
    user: UserPublic
