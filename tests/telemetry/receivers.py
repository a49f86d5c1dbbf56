"""Local receivers for what telemetry sends out: an OTLP/HTTP trace receiver and a Sentry envelope receiver.

Both listen on 127.0.0.1 in a background thread and keep what they received in memory for the test to read.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)


def _decode(body: bytes, encoding: str | None) -> bytes:
    if encoding == "gzip":
        return gzip.decompress(body)
    if encoding == "deflate":
        return zlib.decompress(body)
    if encoding == "br":
        import brotli  # type: ignore[import-not-found]  # optional: only when the sender compresses with it

        data: bytes = brotli.decompress(body)
        return data
    return body


@dataclass(frozen=True)
class ReceivedSpan:
    """One span as it arrived over OTLP, with the resource it came from."""

    service: str
    name: str
    trace_id: str
    span_id: str
    parent_span_id: str
    kind: int
    attributes: dict[str, Any]


def _value(any_value: Any) -> Any:
    kind = any_value.WhichOneof("value")
    if kind == "array_value":
        return tuple(_value(v) for v in any_value.array_value.values)
    return getattr(any_value, kind) if kind else None


@dataclass
class OtlpReceiver:
    """Accepts OTLP/HTTP protobuf trace exports at /v1/traces."""

    port: int = 0
    spans: list[ReceivedSpan] = field(default_factory=list)
    requests: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def handle(self, path: str, body: bytes, headers: Any) -> tuple[int, bytes, str]:
        if path != "/v1/traces":
            return 404, b"", "text/plain"
        message = ExportTraceServiceRequest()
        message.ParseFromString(_decode(body, headers.get("Content-Encoding")))
        received = []
        for resource_spans in message.resource_spans:
            resource = {a.key: _value(a.value) for a in resource_spans.resource.attributes}
            for scope_spans in resource_spans.scope_spans:
                for span in scope_spans.spans:
                    received.append(
                        ReceivedSpan(
                            service=str(resource.get("service.name", "")),
                            name=span.name,
                            trace_id=span.trace_id.hex(),
                            span_id=span.span_id.hex(),
                            parent_span_id=span.parent_span_id.hex(),
                            kind=span.kind,
                            attributes={a.key: _value(a.value) for a in span.attributes},
                        )
                    )
        with self._lock:
            self.spans.extend(received)
            self.requests += 1
        return 200, ExportTraceServiceResponse().SerializeToString(), "application/x-protobuf"

    def wait_for(self, predicate: Callable[[list[ReceivedSpan]], bool], timeout: float = 15.0) -> list[ReceivedSpan]:
        """Wait (bounded) until the received spans satisfy `predicate`; returns them either way."""
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                snapshot = list(self.spans)
            if predicate(snapshot) or time.monotonic() > deadline:
                return snapshot
            time.sleep(0.05)


@dataclass
class SentryReceiver:
    """Accepts Sentry envelopes at /api/{project}/envelope/ and keeps their items."""

    port: int = 0
    items: list[dict[str, Any]] = field(default_factory=list)
    raw: list[bytes] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def dsn(self) -> str:
        return f"http://publickey@127.0.0.1:{self.port}/1"

    def handle(self, path: str, body: bytes, headers: Any) -> tuple[int, bytes, str]:
        if not path.startswith("/api/1/envelope"):
            return 404, b"", "text/plain"
        data = _decode(body, headers.get("Content-Encoding"))
        lines = data.split(b"\n")
        items = []
        # Envelope: a header line, then (item header, payload) pairs.
        index = 1
        while index + 1 < len(lines):
            item_header = json.loads(lines[index])
            payload = lines[index + 1]
            if item_header.get("type") == "event":
                items.append(json.loads(payload))
            index += 2
        with self._lock:
            self.raw.append(data)
            self.items.extend(items)
        return 200, b"{}", "application/json"

    def wait_for_event(self, timeout: float = 15.0) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if self.items:
                    return list(self.items)
            time.sleep(0.05)
        return []


class _Handler(BaseHTTPRequestHandler):
    target: Any

    def _cors(self) -> None:
        # Browsers send from the page's origin, as to a collector whose OTLP/HTTP receiver allows it.
        self.send_header("Access-Control-Allow-Origin", self.headers.get("Origin") or "*")
        self.send_header("Access-Control-Allow-Methods", "POST")
        self.send_header("Access-Control-Allow-Headers", "content-type, content-encoding")

    def do_OPTIONS(self) -> None:
        self.send_response(204)
        self._cors()
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        status, payload, content_type = self.target.handle(self.path, body, self.headers)
        self.send_response(status)
        self._cors()
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *_args: Any) -> None:
        return


@contextlib.contextmanager
def serving(target: Any) -> Iterator[Any]:
    """Serve `target` (an OtlpReceiver or SentryReceiver) on a free port of 127.0.0.1 until the block ends."""
    handler = type("Handler", (_Handler,), {"target": target})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    target.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, name="receiver", daemon=True)
    thread.start()
    try:
        yield target
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
