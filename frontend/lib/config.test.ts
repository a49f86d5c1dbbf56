import { describe, expect, it } from "vitest";
import { apiBaseFrom, mcpEndpoint, type PublicConfig } from "./config";

const base: PublicConfig = {
  apiBase: "",
  appEnv: "development",
  mcpHost: "",
  mcpPort: "",
  sentryDsn: "",
  otelEndpoint: "",
  otelRatio: "0.1",
};

describe("config", () => {
  it("defaults the API to the page's own origin and drops trailing slashes", () => {
    expect(apiBaseFrom(undefined)).toBe("");
    expect(apiBaseFrom(" https://api.example.com// ")).toBe("https://api.example.com");
  });
  it("shows the MCP server the API mounts when no host is configured", () => {
    expect(mcpEndpoint(base, "http://127.0.0.1:8000")).toBe("http://127.0.0.1:8000/mcp/");
  });
  it("shows a configured MCP host and port", () => {
    expect(mcpEndpoint({ ...base, mcpHost: "mcp.example.com", mcpPort: "443" }, "x")).toBe("https://mcp.example.com/mcp/");
    expect(mcpEndpoint({ ...base, mcpHost: "mcp.example.com", mcpPort: "8001" }, "x")).toBe("https://mcp.example.com:8001/mcp/");
  });
});
