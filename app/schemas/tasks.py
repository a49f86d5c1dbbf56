from __future__ import annotations

import re
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    WithJsonSchema,
    field_validator,
)

from app.core.errors import InvalidInput
from app.schemas.common import UtcDateTime, readable
from app.services import recurrence
from app.services.dates import valid_remind_before

MAX_TAGS = 10
MAX_TAG_LENGTH = 32
MAX_TITLE = 200
MAX_DESCRIPTION = 1000


def _title(value: str) -> str:
    if not value:
        raise ValueError("A task needs a title.")
    if len(value) > MAX_TITLE:
        raise ValueError(f"Titles can be up to {MAX_TITLE} characters; yours has {len(value)}.")
    return value


def _description(value: str) -> str:
    if len(value) > MAX_DESCRIPTION:
        raise ValueError(f"Descriptions can be up to {MAX_DESCRIPTION} characters; yours has {len(value)}.")
    return value


Title = Annotated[str, StringConstraints(strip_whitespace=True), AfterValidator(_title)]
Description = Annotated[str, StringConstraints(strip_whitespace=True), AfterValidator(_description)]


def _checked(check: Any) -> Any:
    # The services' checks raise InvalidInput with a person's sentence; pydantic wants ValueError.
    def run(value: Any) -> Any:
        try:
            return check(value)
        except InvalidInput as err:
            raise ValueError(err.message) from err

    return run


def normalise_tag(value: object) -> str:
    """'#Work ' -> 'work'."""
    name = str(value).strip().lstrip("#").strip().lower()
    if not name:
        raise ValueError("A tag needs at least one letter.")
    if len(name) > MAX_TAG_LENGTH:
        raise ValueError(f"Tags can be up to {MAX_TAG_LENGTH} characters; '{name[:40]}' has {len(name)}.")
    if any(ch.isspace() or ch in ",#" for ch in name):
        raise ValueError(f"A tag is one word without spaces or commas; '{name}' is not.")
    return name


def _distinct(tags: list[str]) -> list[str]:
    unique = list(dict.fromkeys(tags))
    if len(unique) > MAX_TAGS:
        raise ValueError(f"A task can have up to {MAX_TAGS} tags; this one would have {len(unique)}.")
    return unique


Tag = Annotated[str, BeforeValidator(normalise_tag)]
Tags = Annotated[list[Tag], AfterValidator(_distinct)]
Rule = Annotated[str, AfterValidator(_checked(recurrence.valid_rule))]
RemindBefore = Annotated[str, AfterValidator(_checked(valid_remind_before))]


class TaskStatus(StrEnum):
    all = "all"
    pending = "pending"
    completed = "completed"


class Priority(StrEnum):
    low = "low"
    medium = "medium"
    high = "high"
    urgent = "urgent"

    @property
    def level(self) -> int:
        return PRIORITY_LEVELS[self]


PRIORITY_LEVELS = {Priority.low: 1, Priority.medium: 2, Priority.high: 3, Priority.urgent: 4}
PRIORITY_NAMES = {level: name for name, level in PRIORITY_LEVELS.items()}


class DueWindow(StrEnum):
    overdue = "overdue"
    today = "today"
    tomorrow = "tomorrow"
    this_week = "this_week"
    next_week = "next_week"
    upcoming = "upcoming"
    no_date = "no_date"


class TaskSort(StrEnum):
    created = "created"
    due = "due"
    priority = "priority"
    alphabetical = "title"


DueState = Literal["overdue", "today", "upcoming"]


def _date_alone(value: object) -> object:
    # "2030-12-24" is an all-day date; anything with a time is a moment (pydantic would read both as datetimes).
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
        return date.fromisoformat(value.strip())
    return value


Due = Annotated[datetime | date, BeforeValidator(_date_alone)]


class TaskFilter(BaseModel):
    """Which tasks: the one filter model of `GET /tasks`, `list_tasks` and bulk changes."""

    model_config = ConfigDict(extra="forbid")

    status: TaskStatus = TaskStatus.all
    q: Annotated[str | None, Field(max_length=200, description="Words to find in title or description")] = None
    tag: Annotated[list[Tag], Field(max_length=MAX_TAGS, description="Tasks carrying every one of these tags")] = []
    priority: Annotated[list[Priority], Field(max_length=4, description="Tasks with any of these priorities")] = []
    due: DueWindow | None = None
    due_before: UtcDateTime | None = None
    due_after: UtcDateTime | None = None
    sort: TaskSort = TaskSort.created
    order: Literal["asc", "desc"] = "asc"


def filter_from(**values: Any) -> TaskFilter:
    """A filter from query parameters; a bad tag reads as a 422 like any other parameter.

    Raises:
        InvalidInput: a value the filter refuses.
    """
    try:
        return TaskFilter.model_validate(values)
    except ValidationError as err:
        raise InvalidInput(readable(err.errors())) from err


class _Planning(BaseModel):
    """The planning fields create and update share."""

    model_config = ConfigDict(extra="forbid")

    due_at: Annotated[
        Due | None, Field(description="ISO 8601 date-time with offset, or a date (YYYY-MM-DD) for an all-day task")
    ] = None
    all_day: bool | None = None
    priority: Priority | None = None
    tags: Tags | None = None
    recurrence: Annotated[Rule | None, Field(description="RFC 5545 RRULE, e.g. FREQ=WEEKLY;BYDAY=MO")] = None
    remind_at: UtcDateTime | None = None
    remind_before: Annotated[
        RemindBefore | None,
        Field(description="ISO 8601 duration before the due time (PT30M, P1D), or 'evening_before'"),
    ] = None


class TaskCreate(_Planning):
    title: Title
    description: Description | None = None


class TaskUpdate(_Planning):
    """Fields to change; the ones left out stay as they are, and an explicit null clears an optional one."""

    # None stands for "left out"; the schema offers no null because an explicit null is refused below.
    title: Annotated[Title | None, WithJsonSchema({"type": "string"})] = None
    description: Description | None = None
    completed: Annotated[bool | None, WithJsonSchema({"type": "boolean"})] = None

    @field_validator("title", "completed")
    @classmethod
    def _not_null(cls, value: object) -> object:
        # Only an explicit null reaches here: a left-out field keeps its value.
        if value is None:
            raise ValueError("cannot be null; leave the field out to keep its value")
        return value


class TaskPublic(BaseModel):
    id: int
    title: str
    description: str | None
    completed: bool
    completed_at: UtcDateTime | None
    due_at: datetime | None = Field(description="In the user's time zone")
    all_day: bool
    due_state: DueState | None
    priority: Priority | None
    tags: list[str]
    recurrence: str | None
    recurrence_text: str | None
    remind_at: datetime | None
    remind_before: str | None
    created_at: UtcDateTime
    updated_at: UtcDateTime


class TaskPage(BaseModel):
    items: list[TaskPublic]
    total: int
    limit: int
    offset: int


class TagCount(BaseModel):
    name: str
    count: int


class TagList(BaseModel):
    tags: list[TagCount]


BulkAction = Literal["complete", "reopen", "delete", "add_tags", "remove_tags", "reschedule", "set_priority"]


class BulkRequest(BaseModel):
    """One action on every task matching `filter` (and, when given, among `task_ids`)."""

    model_config = ConfigDict(extra="forbid")

    action: BulkAction
    filter: TaskFilter = TaskFilter()
    task_ids: Annotated[list[Annotated[int, Field(ge=1)]] | None, Field(max_length=500)] = None
    tags: Tags | None = None
    due_at: Due | None = None
    priority: Priority | None = None
    confirm_token: Annotated[str | None, Field(max_length=2000)] = None


class BulkResult(BaseModel):
    status: Literal["needs_confirmation", "done"]
    action: BulkAction
    count: int
    tasks: list[TaskPublic]
    message: str
    confirm_token: str | None = None
    expires_in_seconds: int | None = None
    change_id: int | None = None


class UndoResult(BaseModel):
    status: Literal["undone"] = "undone"
    action: str
    summary: str
    tasks: list[TaskPublic]
