// Build-time settings. Next inlines each `process.env.NEXT_PUBLIC_*` read literally, so keep them spelled out.

export interface PublicConfig {
  /** API base URL without a trailing slash; "" means the page's own origin. */
  apiBase: string;
  appEnv: string;
  mcpHost: string;
  mcpPort: string;
  sentryDsn: string;
  /** OTLP/HTTP traces URL for the browser's spans; "" leaves browser tracing off. */
  otelEndpoint: string;
  /** Share of actions traced (0-1), as the server's `OTEL_TRACES_SAMPLER_ARG`. */
  otelRatio: string;
}

export function apiBaseFrom(raw: string | undefined): string {
  return (raw ?? "").trim().replace(/\/+$/, "");
}

export const config: PublicConfig = {
  apiBase: apiBaseFrom(process.env.NEXT_PUBLIC_BACKEND_API_URL),
  appEnv: process.env.NEXT_PUBLIC_APP_ENV ?? "development",
  mcpHost: process.env.NEXT_PUBLIC_MCP_SERVER_HOST ?? "",
  mcpPort: process.env.NEXT_PUBLIC_MCP_SERVER_PORT ?? "",
  sentryDsn: process.env.NEXT_PUBLIC_SENTRY_DSN ?? "",
  otelEndpoint: process.env.NEXT_PUBLIC_OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? "",
  otelRatio: process.env.NEXT_PUBLIC_OTEL_TRACES_SAMPLER_ARG ?? "0.1",
};

/** Where the tools live, for the page footer: the configured MCP host, else the API's /mcp/ mount. */
export function mcpEndpoint(cfg: PublicConfig, origin: string): string {
  if (cfg.mcpHost) {
    const port = cfg.mcpPort && cfg.mcpPort !== "443" && cfg.mcpPort !== "80" ? `:${cfg.mcpPort}` : "";
    const scheme = cfg.mcpPort === "80" ? "http" : "https";
    return `${scheme}://${cfg.mcpHost}${port}/mcp/`;
  }
  return `${cfg.apiBase || origin}/mcp/`;
}
