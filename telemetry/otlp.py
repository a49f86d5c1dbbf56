"""OTLP/HTTP span export with a faster encoder for the common span.

The OTLP exporter encodes spans by building protobuf message objects field by field in Python (about 17 us a
span here), in the serving process. `encode_spans` writes the protobuf wire format of a span directly when
the span is the everyday kind (attributes that are strings, booleans, integers or floats; no events; no
links), reading a LightSpan's fields as stored rather than through the ReadableSpan properties (which copy
events, links and attributes on each read), and hands any other span to the exporter's own encoder, so the
output is the same ExportTraceServiceRequest either way (the tests compare the bytes with the exporter's
encoding). Everything else about the export (endpoint, headers, compression, retries, timeouts, size limit,
the exporter's own metrics) is the exporter's.
"""

from __future__ import annotations

import logging
import struct
from collections.abc import Mapping, Sequence
from typing import Any

from opentelemetry.exporter.otlp.proto.common._internal import _encode_instrumentation_scope, _encode_resource
from opentelemetry.exporter.otlp.proto.common._internal.trace_encoder import _encode_span
from opentelemetry.exporter.otlp.proto.http._common import _is_request_too_large
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExportResult
from opentelemetry.sdk.util.instrumentation import InstrumentationScope
from opentelemetry.semconv.attributes.http_attributes import HTTP_RESPONSE_STATUS_CODE
from opentelemetry.trace import SpanContext, SpanKind, Status, TraceFlags
from opentelemetry.trace.span import DEFAULT_TRACE_STATE

from telemetry.spans import _PLAIN, _UNSET, IS_REMOTE, SPAN_ID, TRACE_FLAGS, AttributeSet, LightSpan

logger = logging.getLogger(__name__)

_DOUBLE = struct.Struct("<d").pack
_FIXED64 = struct.Struct("<Q").pack
# The span's `kind` field, tag included, by SpanKind's value (an enum's hash is a Python call).
_KIND = tuple(b"\x30" + bytes((kind.value + 1,)) for kind in sorted(SpanKind, key=lambda kind: kind.value))
# SpanFlags: the span says whether its parent is remote (bit 8), and if so, that it is (bit 9).
_FLAGS_LOCAL = b"\x85\x01" + (0x100).to_bytes(4, "little")
_FLAGS_REMOTE = b"\x85\x01" + (0x300).to_bytes(4, "little")
_STATUS_UNSET = b"\x7a\x00"  # an empty Status message


_ONE_BYTE_VARINTS = tuple(bytes((n,)) for n in range(0x80))


def _varint(value: int) -> bytes:
    # Most are lengths under 16 KiB: one or two bytes, without the loop.
    if 0 <= value < 0x80:
        return _ONE_BYTE_VARINTS[value]
    if 0x80 <= value < 0x4000:
        return bytes(((value & 0x7F) | 0x80, value >> 7))
    if value < 0:
        value += 1 << 64  # int64 as protobuf writes it: two's complement in ten bytes
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _field(tag: bytes, payload: bytes) -> bytes:
    """A length-delimited field: tag, length, payload."""
    return tag + _varint(len(payload)) + payload


def _text(tag: bytes, value: str) -> bytes:
    return _field(tag, value.encode()) if value else b""


def _any_value(value: Any) -> bytes | None:
    """An AnyValue for a plain value; None for anything the exporter's encoder should handle."""
    kind = type(value)
    if kind is str:
        return _field(b"\x0a", value.encode())
    if kind is bool:
        return b"\x10\x01" if value else b"\x10\x00"
    if kind is int:
        return b"\x18" + _varint(value) if -(1 << 63) <= value < (1 << 63) else None
    if kind is float:
        return b"\x21" + _DOUBLE(value)
    return None


# Most attributes repeat from span to span (method, route, status, the statement text): their encoding is kept.
_ATTRIBUTES_KEPT = 2048
_LONGEST_KEPT = 2048
_attributes: dict[tuple[str, type, Any], bytes] = {}


def _attribute(key: str, value: Any) -> bytes | None:
    """The span's `attributes` field for one plain key and value (None for any other value)."""
    if type(value) not in _PLAIN:
        return None  # a list, a dict, None...: the exporter's encoder writes (or drops) it
    kept = (key, type(value), value)  # the type too: True == 1 == 1.0 as dictionary keys
    encoded = _attributes.get(kept)
    if encoded is None:
        any_value = _any_value(value)
        if any_value is None:
            return None
        encoded = _field(b"\x4a", _text(b"\x0a", key) + _field(b"\x12", any_value))
        # Not floats: 0.0 and -0.0 are one key but two encodings (and a NaN is never found again).
        if type(value) is not float and (type(value) is not str or len(value) <= _LONGEST_KEPT):
            if len(_attributes) >= _ATTRIBUTES_KEPT:
                _attributes.clear()  # bounded; the everyday ones come back at once
            _attributes[kept] = encoded
    return encoded


def _attribute_block(attributes: Mapping[str, Any]) -> bytes | None:
    """All of a span's `attributes` fields (None if a value is not plain)."""
    encoded = []
    for key, value in attributes.items():
        field = _attribute(key, value)
        if field is None:
            return None
        encoded.append(field)
    return b"".join(encoded)


def _set_block(attributes: AttributeSet) -> bytes | None:
    """An AttributeSet's fields, written once and kept on it (it never changes)."""
    block = attributes.encoded
    if block is None:
        block = _attribute_block(attributes)
        if block is not None and len(block) <= _LONGEST_KEPT:  # a long path or statement is not kept twice
            attributes.encoded = block
    return block


# The span's `name` field by name: the same few names come again and again.
_NAMES_KEPT = 1024
_names: dict[str, bytes] = {}


def _name(name: str) -> bytes:
    field = _names.get(name)
    if field is None:
        field = _text(b"\x2a", name)
        if len(name) <= _LONGEST_KEPT:
            if len(_names) >= _NAMES_KEPT:
                _names.clear()
            _names[name] = field
    return field


def _message(
    context: SpanContext | None,
    parent: SpanContext | None,
    name: str,
    kind: SpanKind,
    start_time: int | None,
    end_time: int | None,
    attributes: Mapping[str, Any],
    dropped_attributes: int,
    status: Status,
    sets: tuple[AttributeSet, ...] | None = None,
) -> bytes | None:
    """The Span message; `sets`, when given, are AttributeSets whose items in order are `attributes`."""
    if context is None:
        return None
    trace_id, span_id, _, _, trace_state, _ = context  # its fields without the properties' calls
    out = [b"\x0a\x10" + trace_id.to_bytes(16, "big") + b"\x12\x08" + span_id.to_bytes(8, "big")]
    if trace_state is not DEFAULT_TRACE_STATE and trace_state:  # the shared empty one, without TraceState.__len__
        out.append(_text(b"\x1a", ",".join(f"{k}={v}" for k, v in trace_state.items())))
    if parent:
        out.append(b"\x22\x08" + parent[SPAN_ID].to_bytes(8, "big"))
    out.append(_names.get(name) or _name(name))
    out.append(_KIND[kind._value_])
    if start_time:
        out.append(b"\x39" + _FIXED64(start_time))
    if end_time:
        out.append(b"\x41" + _FIXED64(end_time))
    if attributes:
        if sets:
            for attribute_set in sets:
                block = attribute_set.encoded or _set_block(attribute_set)
                if block is None:
                    return None
                out.append(block)
        else:
            block = _attribute_block(attributes)
            if block is None:
                return None
            out.append(block)
    if dropped_attributes:
        out.append(b"\x50" + _varint(dropped_attributes))
    out.append(_STATUS_UNSET if status is _UNSET else _status(status))
    out.append(_FLAGS_REMOTE if parent is not None and parent[IS_REMOTE] else _FLAGS_LOCAL)
    return b"".join(out)


def _status(status: Status) -> bytes:
    return _field(b"\x7a", _text(b"\x12", status.description or "") + _code(status.status_code.value))


def _code(value: int) -> bytes:
    return b"\x18" + _varint(value) if value else b""


class _Encodings:
    """Resource and scope messages, encoded once each (a process has a handful).

    Spans are grouped by resource and scope as the exporter does, by equality; but Resource's and
    InstrumentationScope's hash and equality are Python code, run twice for every span. Each object seen is
    mapped, by identity, to the first equal one seen (its canonical), and spans are grouped by that.
    """

    def __init__(self) -> None:
        self._resources: dict[Resource, bytes] = {}
        self._scopes: dict[InstrumentationScope | None, bytes] = {}
        self._canonical: dict[int, Any] = {}
        self._held: list[object] = []  # what `_canonical` is keyed by stays alive, so its id is not reused

    def canonical(self, item: Any) -> Any:
        """The first object seen equal to `item` (resources and scopes are never mutated once made)."""
        found = self._canonical.get(id(item), _MISSING)
        if found is not _MISSING:
            return found
        if len(self._held) >= 1024:
            self._canonical.clear()
            self._held.clear()
        found = next((seen for seen in self._canonical.values() if seen == item), item)
        self._canonical[id(item)] = found
        self._held.append(item)
        return found

    def resource(self, resource: Resource) -> bytes:
        encoded = self._resources.get(resource)
        if encoded is None:
            encoded = _encode_resource(resource).SerializeToString()
            if len(self._resources) < 64:
                self._resources[resource] = encoded
        return encoded

    def scope(self, scope: InstrumentationScope | None) -> bytes:
        encoded = self._scopes.get(scope)
        if encoded is None:
            encoded = _encode_instrumentation_scope(scope).SerializeToString()  # type: ignore[arg-type]  # None is handled
            if len(self._scopes) < 1024:
                self._scopes[scope] = encoded
        return encoded


_MISSING = object()
_encodings = _Encodings()


class EncodedSpan(tuple):  # type: ignore[type-arg]
    """A sampled span already written as its OTLP Span message (field tag and length included), with the
    resource and scope it is grouped by: what waits in the export queue in place of the span.

    A tuple (message, resource, scope), made without a Python call (`_encoded`).
    """

    __slots__ = ()

    @property
    def message(self) -> bytes:
        return self[0]  # type: ignore[no-any-return]

    @property
    def resource(self) -> Resource:
        return self[1]  # type: ignore[no-any-return]

    @property
    def scope(self) -> InstrumentationScope | None:
        return self[2]  # type: ignore[no-any-return]


_new_encoded = tuple.__new__


def _encoded(message: bytes, resource: Resource, scope: InstrumentationScope | None) -> EncodedSpan:
    length = len(message)
    if length < 0x80:
        prefix = _ONE_BYTE_VARINTS[length]
    elif length < 0x4000:
        prefix = bytes(((length & 0x7F) | 0x80, length >> 7))
    else:
        prefix = _varint(length)
    return _new_encoded(EncodedSpan, (b"\x12" + prefix + message, resource, scope))


def encode_span(span: ReadableSpan) -> EncodedSpan:
    """The span's Span message, by this module's encoder when it is an everyday span, else the exporter's."""
    encoded: bytes | None = None
    if type(span) is LightSpan:
        resource, scope = span._resource, span._instrumentation_scope or None
        # Its fields as stored: the ReadableSpan properties copy events, links and attributes on every read.
        # An event or link added (even one dropped at a limit of 0) leaves a list: the exporter's encoder.
        if type(span._events) is tuple and type(span._links) is tuple:
            encoded = _message(
                span._context, span._parent, span._name, span._kind, span._start_time, span._end_time,
                span._attributes, span._dropped_attributes, span._status, span._sets,
            )  # fmt: skip
    else:
        resource, scope = span.resource, span.instrumentation_scope or None
        if not (span.events or span.links or span.dropped_events or span.dropped_links):
            encoded = _message(
                span.get_span_context(), span.parent, span.name, span.kind, span.start_time, span.end_time,
                span.attributes or {}, span.dropped_attributes, span.status,
            )  # fmt: skip
    if encoded is None:
        encoded = _encode_span(span).SerializeToString()
    return _encoded(encoded, resource, scope)


def encode_spans(spans: Sequence[ReadableSpan | EncodedSpan]) -> bytes:
    """An ExportTraceServiceRequest holding the spans, grouped by resource and scope as the exporter does."""
    canonical = _encodings.canonical
    grouped: dict[int, tuple[Resource, dict[int, tuple[InstrumentationScope | None, list[bytes]]]]] = {}
    # Each span's group is found by its resource and scope objects (one dictionary lookup); the group of
    # objects not seen yet in this batch, by equality (Resource's and InstrumentationScope's hash and
    # equality are Python code).
    groups: dict[tuple[int, int], list[bytes]] = {}
    for span in spans:
        message, resource, scope = span if type(span) is EncodedSpan else encode_span(span)  # type: ignore[arg-type]
        group = groups.get((id(resource), id(scope)))
        if group is None:
            same_resource, same_scope = canonical(resource), canonical(scope)
            by_scope = grouped.get(id(same_resource))
            if by_scope is None:
                by_scope = grouped[id(same_resource)] = (same_resource, {})
            in_scope = by_scope[1].get(id(same_scope))
            if in_scope is None:
                in_scope = by_scope[1][id(same_scope)] = (same_scope, [])
            group = groups[(id(resource), id(scope))] = in_scope[1]
        group.append(message)
    request = []
    for resource, scopes in grouped.values():
        body = [_field(b"\x0a", _encodings.resource(resource))]
        for scope, encoded_spans in scopes.values():
            scope_spans = [_field(b"\x0a", _encodings.scope(scope)), *encoded_spans]
            if scope is not None and scope.schema_url:
                scope_spans.append(_text(b"\x1a", scope.schema_url))
            body.append(_field(b"\x12", b"".join(scope_spans)))
        body.append(_text(b"\x1a", resource.schema_url))
        request.append(_field(b"\x0a", b"".join(body)))
    return b"".join(request)


class EncodingSpanProcessor(BatchSpanProcessor):
    """The SDK's batch span processor, queueing each span as its encoded message (an EncodedSpan).

    Encoded when it ends, a span's message is made from data still in the CPU's caches, and the span is
    freed at once. Queued until its batch is sent, as BatchSpanProcessor does, the spans' objects (about a
    second's worth at the benchmark's rate) were walked again, cold, by the exporter's thread. The same
    instructions either way; side by side on one core, a server encoding at the end used a median 4% less
    CPU per GET /api/v1/tasks in one run of 10 rounds (two identical servers: 0.7%), though later runs of
    whole versions could not resolve differences that small. Its exporter must take EncodedSpans, as
    `SpanExporter` does.
    """

    def on_end(self, span: ReadableSpan) -> None:
        if type(span) is LightSpan:
            if not span._context[TRACE_FLAGS] & TraceFlags.SAMPLED:  # type: ignore[index]  # a LightSpan's is set
                return
        elif not span.context.trace_flags.sampled:
            return
        self._batch_processor.emit(encode_span(span))  # type: ignore[arg-type]  # its exporter takes both


class SpanExporter(OTLPSpanExporter):
    """The OTLP/HTTP (protobuf) span exporter, encoding with `encode_spans` (so it takes EncodedSpans too)."""

    def export(self, spans: Sequence[ReadableSpan | EncodedSpan]) -> SpanExportResult:
        # As OTLPSpanExporter.export, with this module's encoder, for spans and spans encoded when they ended.
        if self._shutdown:
            logger.warning("Exporter already shutdown, ignoring batch")
            return SpanExportResult.FAILURE
        with self._metrics.export_operation(len(spans)) as result:
            try:
                data = encode_spans(spans)
            except Exception as error:
                logger.error("Failed to encode span batch: %s", error)
                result.error = error
                return SpanExportResult.FAILURE
            if _is_request_too_large(data, self._max_request_size):
                logger.warning(
                    "Dropping span batch: serialized size %d bytes exceeds max_request_size %d bytes.",
                    len(data),
                    self._max_request_size,
                )
                result.error = ValueError(f"span batch of {len(data)} bytes exceeds {self._max_request_size}")
                return SpanExportResult.FAILURE
            sent = self._client.export(data)
            if not sent.success:
                result.error = sent.error
                result.error_attrs = (
                    {HTTP_RESPONSE_STATUS_CODE: sent.status_code} if sent.status_code is not None else None
                )
                return SpanExportResult.FAILURE
        return SpanExportResult.SUCCESS
