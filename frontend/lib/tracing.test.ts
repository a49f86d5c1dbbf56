import { describe, expect, it } from "vitest";
import { routeOf, tracingSettings } from "./tracing";

describe("tracingSettings", () => {
  const base = { otelEndpoint: "https://otel.example.com/v1/traces", otelRatio: "0.1", appEnv: "production" };

  it("traces the configured share of actions to the configured endpoint", () => {
    expect(tracingSettings(base)).toEqual({
      endpoint: "https://otel.example.com/v1/traces",
      ratio: 0.1,
      serviceName: "todochat-web",
      environment: "production",
    });
  });

  it("is off without an endpoint, at a ratio of 0, or with a ratio that is no number", () => {
    expect(tracingSettings({ ...base, otelEndpoint: " " })).toBeNull();
    expect(tracingSettings({ ...base, otelRatio: "0" })).toBeNull();
    expect(tracingSettings({ ...base, otelRatio: "lots" })).toBeNull();
  });

  it("caps the ratio at everything", () => {
    expect(tracingSettings({ ...base, otelRatio: "5" })?.ratio).toBe(1);
  });
});

describe("routeOf", () => {
  it("names spans by route, not by id", () => {
    expect(routeOf("/api/v1/tasks/12?x=1")).toBe("/api/v1/tasks/{id}");
    expect(routeOf("/api/v1/conversations/0b6f3c1e-8a4d-4c52-9a51-5e0c7d2a9f10/messages")).toBe(
      "/api/v1/conversations/{id}/messages",
    );
    expect(routeOf("/api/v1/tasks?status=all")).toBe("/api/v1/tasks");
  });
});
