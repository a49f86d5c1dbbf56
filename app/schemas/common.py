"""Shapes shared by every route."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel


def _as_utc(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes, and clients may send them: every time this service keeps is UTC.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


UtcDateTime = Annotated[datetime, AfterValidator(_as_utc)]
"""A datetime that is always timezone-aware UTC, so both databases answer `...+00:00`/`Z` alike."""


class ErrorDetail(BaseModel):
    field: str | None = None
    message: str


class ErrorBody(BaseModel):
    code: str
    message: str
    details: list[ErrorDetail] = []
    request_id: str | None = None


class ErrorResponse(BaseModel):
    """The one error shape every route answers with."""

    error: ErrorBody


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorResponse} for status in (401, 404, 409, 413, 422, 429, 503)
}


def readable(errors: list[Any], limit: int = 3) -> str:
    """Validation errors as a sentence a person understands: our validators' own words, without pydantic's prefix."""
    parts = []
    for error in errors[:limit]:
        message = str(error.get("msg", "")).removeprefix("Value error, ")
        field = ".".join(str(p) for p in error.get("loc", ()) if p not in ("body", "query", "path", "header", "cookie"))
        custom = error.get("type") == "value_error"
        parts.append(message if custom or not field else f"{field}: {message}")
    return "; ".join(parts)
