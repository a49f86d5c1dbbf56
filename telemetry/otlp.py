"""OTLP/HTTP span export with a faster encoder for the common span (the fast path; docs/performance.md).

`encode_spans` writes the protobuf wire format of an everyday span (plain attributes, no events, no links)
directly, reading a LightSpan's fields as stored, because the exporter's encoder builds protobuf objects field
by field in the serving process; any other span goes through the exporter's own encoder, and the output is the
same ExportTraceServiceRequest either way (the tests compare the bytes). Everything else about the export is
the exporter's.
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
from opentelemetry.sdk.trace.export import SpanExportResult
from opentelemetry.sdk.util.instrumentation import InstrumentationScope
from opentelemetry.semconv.attributes.http_attributes import HTTP_RESPONSE_STATUS_CODE
from opentelemetry.trace import SpanContext, SpanKind, Status
from opentelemetry.trace.span import DEFAULT_TRACE_STATE

from telemetry.spans import _PLAIN, _UNSET, IS_REMOTE, SPAN_ID, AttributeSet, LightSpan

logger = logging.getLogger(__name__)

_DOUBLE = struct.Struct("<d").pack
_FIXED64 = struct.Struct("<Q").pack


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


# Wire types and field tags of the OTLP messages written here (opentelemetry-proto's trace/v1/trace.proto,
# common/v1/common.proto, collector/trace/v1/trace_service.proto): a tag is the varint (field << 3) | wire type.
VARINT, I64, LEN, I32 = 0, 1, 2, 5


def _tag(field: int, wire_type: int) -> bytes:
    return _varint(field << 3 | wire_type)


REQUEST_RESOURCE_SPANS = _tag(1, LEN)  # ExportTraceServiceRequest.resource_spans
RESOURCE_SPANS_RESOURCE = _tag(1, LEN)
RESOURCE_SPANS_SCOPE_SPANS = _tag(2, LEN)
RESOURCE_SPANS_SCHEMA_URL = _tag(3, LEN)
SCOPE_SPANS_SCOPE = _tag(1, LEN)
SCOPE_SPANS_SPANS = _tag(2, LEN)
SCOPE_SPANS_SCHEMA_URL = _tag(3, LEN)
SPAN_TRACE_ID = _tag(1, LEN)
SPAN_SPAN_ID = _tag(2, LEN)
SPAN_TRACE_STATE = _tag(3, LEN)
SPAN_PARENT_SPAN_ID = _tag(4, LEN)
SPAN_NAME = _tag(5, LEN)
SPAN_KIND = _tag(6, VARINT)
SPAN_START_TIME_UNIX_NANO = _tag(7, I64)  # fixed64
SPAN_END_TIME_UNIX_NANO = _tag(8, I64)  # fixed64
SPAN_ATTRIBUTES = _tag(9, LEN)
SPAN_DROPPED_ATTRIBUTES_COUNT = _tag(10, VARINT)
SPAN_STATUS = _tag(15, LEN)
SPAN_FLAGS = _tag(16, I32)  # fixed32
KEY_VALUE_KEY = _tag(1, LEN)
KEY_VALUE_VALUE = _tag(2, LEN)
ANY_VALUE_STRING = _tag(1, LEN)
ANY_VALUE_BOOL = _tag(2, VARINT)
ANY_VALUE_INT = _tag(3, VARINT)
ANY_VALUE_DOUBLE = _tag(4, I64)
STATUS_MESSAGE = _tag(2, LEN)
STATUS_CODE = _tag(3, VARINT)
# SpanFlags (in the span's `flags`): whether the parent's remoteness is known (bit 8), and that it is remote (bit 9).
SPAN_FLAGS_CONTEXT_HAS_IS_REMOTE = 0x100
SPAN_FLAGS_CONTEXT_IS_REMOTE = 0x200

_FIXED32 = struct.Struct("<I").pack
# The span's `kind` field, tag included, by SpanKind's value (an enum's hash is a Python call); OTLP's
# SPAN_KIND_INTERNAL is 1, one more than the API's SpanKind.INTERNAL.
_KIND = tuple(SPAN_KIND + bytes((kind.value + 1,)) for kind in sorted(SpanKind, key=lambda kind: kind.value))
_FLAGS_LOCAL = SPAN_FLAGS + _FIXED32(SPAN_FLAGS_CONTEXT_HAS_IS_REMOTE)
_FLAGS_REMOTE = SPAN_FLAGS + _FIXED32(SPAN_FLAGS_CONTEXT_HAS_IS_REMOTE | SPAN_FLAGS_CONTEXT_IS_REMOTE)
_STATUS_UNSET = SPAN_STATUS + b"\x00"  # an empty Status message
# Ids are fixed-length bytes fields: tag and length written once.
_TRACE_ID_PREFIX = SPAN_TRACE_ID + b"\x10"
_SPAN_ID_PREFIX = SPAN_SPAN_ID + b"\x08"
_PARENT_ID_PREFIX = SPAN_PARENT_SPAN_ID + b"\x08"


def _field(tag: bytes, payload: bytes) -> bytes:
    """A length-delimited field: tag, length, payload."""
    return tag + _varint(len(payload)) + payload


def _text(tag: bytes, value: str) -> bytes:
    return _field(tag, value.encode()) if value else b""


def _any_value(value: Any) -> bytes | None:
    """An AnyValue for a plain value; None for anything the exporter's encoder should handle."""
    kind = type(value)
    if kind is str:
        return _field(ANY_VALUE_STRING, value.encode())
    if kind is bool:
        return ANY_VALUE_BOOL + (b"\x01" if value else b"\x00")
    if kind is int:
        return ANY_VALUE_INT + _varint(value) if -(1 << 63) <= value < (1 << 63) else None
    if kind is float:
        return ANY_VALUE_DOUBLE + _DOUBLE(value)
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
        encoded = _field(SPAN_ATTRIBUTES, _text(KEY_VALUE_KEY, key) + _field(KEY_VALUE_VALUE, any_value))
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
        field = _text(SPAN_NAME, name)
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
    out = [_TRACE_ID_PREFIX + trace_id.to_bytes(16, "big") + _SPAN_ID_PREFIX + span_id.to_bytes(8, "big")]
    if trace_state is not DEFAULT_TRACE_STATE and trace_state:  # the shared empty one, without TraceState.__len__
        out.append(_text(SPAN_TRACE_STATE, ",".join(f"{k}={v}" for k, v in trace_state.items())))
    if parent:
        out.append(_PARENT_ID_PREFIX + parent[SPAN_ID].to_bytes(8, "big"))
    out.append(_names.get(name) or _name(name))
    out.append(_KIND[kind._value_])
    if start_time:
        out.append(SPAN_START_TIME_UNIX_NANO + _FIXED64(start_time))
    if end_time:
        out.append(SPAN_END_TIME_UNIX_NANO + _FIXED64(end_time))
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
        out.append(SPAN_DROPPED_ATTRIBUTES_COUNT + _varint(dropped_attributes))
    out.append(_STATUS_UNSET if status is _UNSET else _status(status))
    out.append(_FLAGS_REMOTE if parent is not None and parent[IS_REMOTE] else _FLAGS_LOCAL)
    return b"".join(out)


def _status(status: Status) -> bytes:
    return _field(SPAN_STATUS, _text(STATUS_MESSAGE, status.description or "") + _code(status.status_code.value))


def _code(value: int) -> bytes:
    return STATUS_CODE + _varint(value) if value else b""


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


def _spans_field(message: bytes) -> bytes:
    """The message as a ScopeSpans `spans` field (its length's varint without _varint's call, mostly)."""
    length = len(message)
    if length < 0x80:
        prefix = _ONE_BYTE_VARINTS[length]
    elif length < 0x4000:
        prefix = bytes(((length & 0x7F) | 0x80, length >> 7))
    else:
        prefix = _varint(length)
    return SCOPE_SPANS_SPANS + prefix + message


def encode_span(span: ReadableSpan) -> tuple[bytes, Resource, InstrumentationScope | None]:
    """The span as a `spans` field, by this module's encoder when it is an everyday span, else the
    exporter's, with the resource and scope it is grouped by."""
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
    return _spans_field(encoded), resource, scope


def encode_spans(spans: Sequence[ReadableSpan]) -> bytes:
    """An ExportTraceServiceRequest holding the spans, grouped by resource and scope as the exporter does."""
    canonical = _encodings.canonical
    grouped: dict[int, tuple[Resource, dict[int, tuple[InstrumentationScope | None, list[bytes]]]]] = {}
    # Each span's group is found by its resource and scope objects (one dictionary lookup); the group of
    # objects not seen yet in this batch, by equality (Resource's and InstrumentationScope's hash and
    # equality are Python code).
    groups: dict[tuple[int, int], list[bytes]] = {}
    for span in spans:
        message, resource, scope = encode_span(span)
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
        body = [_field(RESOURCE_SPANS_RESOURCE, _encodings.resource(resource))]
        for scope, encoded_spans in scopes.values():
            scope_spans = [_field(SCOPE_SPANS_SCOPE, _encodings.scope(scope)), *encoded_spans]
            if scope is not None and scope.schema_url:
                scope_spans.append(_text(SCOPE_SPANS_SCHEMA_URL, scope.schema_url))
            body.append(_field(RESOURCE_SPANS_SCOPE_SPANS, b"".join(scope_spans)))
        body.append(_text(RESOURCE_SPANS_SCHEMA_URL, resource.schema_url))
        request.append(_field(REQUEST_RESOURCE_SPANS, b"".join(body)))
    return b"".join(request)


class SpanExporter(OTLPSpanExporter):
    """The OTLP/HTTP (protobuf) span exporter, encoding with `encode_spans`."""

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        # As OTLPSpanExporter.export, with this module's encoder.
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
