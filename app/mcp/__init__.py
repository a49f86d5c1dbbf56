"""The task tools as an MCP server (streamable HTTP), and the MCP client the agent uses to call them."""
