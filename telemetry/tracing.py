"""The tracer provider: resource, parent-based sampling and OTLP (http/protobuf) export.

Configured once per process. The OpenTelemetry API allows the global provider to be set only once, so later
calls with a different configuration keep the first provider (and say so in the log). With the fast path
(TELEMETRY_FAST_PATH, the default) spans are telemetry.spans' and export encodes with telemetry.otlp, because
the SDK's span bookkeeping and the exporter's encoder were most of what tracing cost (docs/performance.md);
without it, the provider, processor and exporter are the SDK's own.
"""

from __future__ import annotations

import os
import threading

import structlog
from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

from telemetry.config import TelemetryConfig
from telemetry.spans import LightTracerProvider

log = structlog.get_logger(__name__)

TRACER_NAME = "todochat"
SEMCONV_OPT_IN = "OTEL_SEMCONV_STABILITY_OPT_IN"

_lock = threading.Lock()
_provider: TracerProvider | None = None
_httpx_instrumented = False


def configure(config: TelemetryConfig) -> TracerProvider | None:
    """Install the global tracer provider (once); None when tracing is disabled."""
    global _provider
    if not config.tracing:
        return _provider
    with _lock:
        if _provider is not None:
            return _provider
        # Both modes, and the HTTP client spans, name attributes by the stable HTTP conventions, as the
        # fast path's server span does; the instrumentations read this variable once, when first used.
        os.environ.setdefault(SEMCONV_OPT_IN, "http")
        resource = Resource.create(
            {
                "service.name": config.service_name,
                "service.version": config.release,
                "deployment.environment.name": config.environment,
            }
        )
        # No sampler argument: the SDK reads OTEL_TRACES_SAMPLER/_ARG, defaulting to parentbased_always_on,
        # so a browser's sampled `traceparent` starts the trace and its decision is kept downstream.
        provider = (
            LightTracerProvider(resource=_HashOnceResource.of(resource))
            if config.fast_path
            else TracerProvider(resource=resource)
        )
        if config.otlp_traces_endpoint:
            provider.add_span_processor(_otlp_processor(fast_path=config.fast_path))
        trace.set_tracer_provider(provider)
        _provider = provider
        _instrument_httpx()
    return _provider


def provider() -> TracerProvider | None:
    """The provider this process installed, if any (tests attach their exporters to it)."""
    return _provider


def add_span_processor(processor: SpanProcessor) -> None:
    """Send this process's spans to one more processor as well.

    Raises:
        RuntimeError: tracing has not been configured (or is disabled) in this process.
    """
    if _provider is None:
        raise RuntimeError("tracing is not configured in this process (OTEL_SDK_DISABLED, or setup not called)")
    _provider.add_span_processor(processor)


def tracer() -> trace.Tracer:
    """The application's tracer (a no-op one while tracing is off)."""
    return trace.get_tracer(TRACER_NAME)


def shutdown() -> None:
    """Flush and stop exporting; spans still queued are sent first."""
    if _provider is not None:
        _provider.shutdown()


def _otlp_processor(*, fast_path: bool) -> SpanProcessor:
    protocol = (
        os.environ.get("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL") or os.environ.get("OTEL_EXPORTER_OTLP_PROTOCOL") or ""
    )
    if protocol and protocol != "http/protobuf":
        log.warning("otlp_protocol_unsupported", protocol=protocol, using="http/protobuf")
    import requests
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    from telemetry.otlp import SpanExporter

    # Endpoint, headers, timeout, compression and CA certificate come from the standard OTEL_EXPORTER_OTLP_*
    # variables. The session ignores proxy and netrc variables: requests would otherwise look for a netrc file
    # on every export (a file-system search each time), and the collector is a local sidecar or agent.
    session = requests.Session()
    session.trust_env = False
    exporter = SpanExporter(session=session) if fast_path else OTLPSpanExporter(session=session)
    # Batch size, queue size and delay come from the standard OTEL_BSP_* variables, as BatchSpanProcessor reads them.
    return BatchSpanProcessor(exporter)


class _HashOnceResource(Resource):
    """A Resource that computes its hash once: the OTLP encoder hashes the resource of every span it encodes,
    and Resource's own hash serialises all its attributes to JSON each time."""

    _hash: int

    @classmethod
    def of(cls, resource: Resource) -> _HashOnceResource:
        made = cls(resource.attributes, resource.schema_url)
        made._hash = Resource.__hash__(made)
        return made

    def __hash__(self) -> int:
        return self._hash


def _instrument_httpx() -> None:
    """Trace every httpx2 client (google-genai and the MCP client use httpx2) and propagate the context."""
    global _httpx_instrumented
    if _httpx_instrumented:
        return
    from opentelemetry.instrumentation.httpx import HTTPX2ClientInstrumentor

    HTTPX2ClientInstrumentor().instrument()
    _httpx_instrumented = True
