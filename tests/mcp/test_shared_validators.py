"""Each chat turn's MCP session gets the process's compiled output-schema validators instead of building its own."""

from __future__ import annotations

from typing import Any

from mcp import Client
from mcp.server.mcpserver import MCPServer
from pydantic import create_model

from app.mcp import validators
from app.mcp.client import McpTools


def server_with(result_field: str) -> MCPServer:
    server = MCPServer("validators")
    result = create_model("Answer", **{result_field: (int, ...)})

    async def answer() -> Any:
        """Answer with one field."""
        return result(**{result_field: 1})

    answer.__annotations__["return"] = result  # the output schema names the field
    server.tool()(answer)

    @server.tool()
    async def shout(word: str) -> str:
        """Say it louder (no structured output schema of interest)."""
        return word.upper()

    return server


async def session_validators(server: MCPServer, *, share: bool) -> dict[str, Any]:
    async with Client(server) as client:
        tools = McpTools(client, share_validators=share)
        await tools.list_tools()
        outcome = await tools.call("answer", {})
        assert not outcome.is_error, outcome
        return dict(client.session._tool_output_validators)


async def test_two_sessions_validate_with_one_compiled_validator() -> None:
    server = server_with("count")
    first = await session_validators(server, share=True)
    second = await session_validators(server, share=True)
    assert first["answer"] is second["answer"]


async def test_a_changed_schema_gets_a_validator_of_its_own() -> None:
    before = await session_validators(server_with("total"), share=True)
    after = await session_validators(server_with("sum"), share=True)
    assert before["answer"] is not after["answer"]
    assert after["answer"].schema == (await _listed_schema(server_with("sum")))


async def test_switched_off_each_session_compiles_its_own_as_the_sdk_does() -> None:
    server = server_with("n")
    kept = validators.shared_count()
    first = await session_validators(server, share=False)
    second = await session_validators(server, share=False)
    assert first["answer"] is not second["answer"]
    assert validators.shared_count() == kept


async def _listed_schema(server: MCPServer) -> dict[str, Any] | None:
    async with Client(server) as client:
        listing = await client.list_tools()
    return next(t.output_schema for t in listing.tools if t.name == "answer")
