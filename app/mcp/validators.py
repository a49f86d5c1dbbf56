"""Output-schema validators shared by every MCP client session in this process.

Each chat turn opens a new client session, and the SDK compiles a tool's output-schema validator (checking the
schema against its metaschema) once per session: the largest single cost of a turn (docs/performance.md). A
compiled validator depends only on the schema's value, so the process keeps one per schema and hands it to each
new session. This reaches into `ClientSession._tool_output_validators` and `_output_schema_validator` (mcp
~=2.3.0, checked by test_dependency_ranges.py); MCP_SHARE_OUTPUT_VALIDATORS=false leaves every session
to compile its own, as the SDK does.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from mcp.client.session import ClientSession
from mcp_types import Tool

MAX_SCHEMAS = 256  # far more than the task tools have; bounds a server that changes its schemas often

_shared: dict[str, Any] = {}


def share_validators(session: ClientSession, tools: Iterable[Tool]) -> None:
    """Give `session` the process's compiled validators for `tools`' output schemas, compiling new ones once.

    Call it after the session has listed `tools`: a listing replaces validators whose schema changed.
    """
    for tool in tools:
        schema = tool.output_schema
        if schema is None:
            continue
        # JSON equality, as the SDK compares schemas (Python's == conflates true and 1).
        key = json.dumps(schema, sort_keys=True)
        validator = _shared.get(key)
        if validator is not None:
            session._tool_output_validators[tool.name] = validator
            continue
        try:
            # The SDK's own compile, so a shared validator is exactly the one the session would build.
            validator = session._output_schema_validator(tool.name, schema)
        except RuntimeError:
            continue  # an invalid schema is refused by the SDK when the tool is called, as without sharing
        if len(_shared) >= MAX_SCHEMAS:
            del _shared[next(iter(_shared))]
        _shared[key] = validator


def shared_count() -> int:
    """How many compiled validators the process keeps."""
    return len(_shared)
