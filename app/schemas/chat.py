"""Chat and conversation shapes, per direction."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from app.schemas.common import UtcDateTime

MAX_MESSAGE_CHARS = 4000

ChatText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_MESSAGE_CHARS)]


class ChatRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    message: ChatText = Field(description="What the person typed (1 to 4000 characters)")
    conversation_id: uuid.UUID | None = Field(default=None, description="Continue this conversation; omit to start one")


class ToolCall(BaseModel):
    name: str
    arguments: dict[str, Any]
    result: dict[str, Any]


class ChatResponse(BaseModel):
    conversation_id: uuid.UUID
    response: str
    tool_calls: list[ToolCall]


class ConversationPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    title: str | None
    created_at: UtcDateTime
    updated_at: UtcDateTime


class ConversationPage(BaseModel):
    items: list[ConversationPublic]
    total: int
    limit: int
    offset: int


class MessagePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    role: Literal["user", "assistant"]
    content: str
    tool_calls: list[ToolCall] | None
    created_at: UtcDateTime


class MessagePage(BaseModel):
    items: list[MessagePublic]
    total: int
    limit: int
    offset: int
