from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from app.api.deps import CurrentUser, SessionDep
from app.schemas.chat import ConversationPage, ConversationPublic, MessagePage
from app.schemas.common import ERROR_RESPONSES
from app.services import conversations as conversation_service

router = APIRouter(prefix="/conversations", tags=["conversations"], responses=ERROR_RESPONSES)


@router.get("")
async def list_conversations(
    principal: CurrentUser,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> ConversationPage:
    """The caller's conversations, most recently active first."""
    return await conversation_service.list_conversations(
        session=session, user_id=principal.user_id, limit=limit, offset=offset
    )


@router.get("/{conversation_id}")
async def get_conversation(
    conversation_id: uuid.UUID, principal: CurrentUser, session: SessionDep
) -> ConversationPublic:
    """One conversation."""
    return await conversation_service.get_conversation(
        session=session, user_id=principal.user_id, conversation_id=conversation_id
    )


@router.get("/{conversation_id}/messages")
async def list_messages(
    conversation_id: uuid.UUID,
    principal: CurrentUser,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> MessagePage:
    """A conversation's messages, oldest first, with the tool calls each reply made."""
    return await conversation_service.list_messages(
        session=session, user_id=principal.user_id, conversation_id=conversation_id, limit=limit, offset=offset
    )


@router.delete("/{conversation_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_conversation(conversation_id: uuid.UUID, principal: CurrentUser, session: SessionDep) -> Response:
    """Delete a conversation and its messages (the tasks stay)."""
    await conversation_service.delete_conversation(
        session=session, user_id=principal.user_id, conversation_id=conversation_id
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)
