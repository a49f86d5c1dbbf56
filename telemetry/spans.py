"""Spans that cost less to make: the OpenTelemetry SDK's Tracer and Span with a lighter way of building them.

Measured on GET /api/v1/tasks (two spans per request), the SDK's span bookkeeping was the largest part of what
tracing cost: per span it builds a locked, validating attribute container, two locked bounded lists for events
and links that are almost always empty, and at the end a second, read-only copy of the span for the
processors. `LightTracer` makes `LightSpan`s instead, which keep the SDK's behaviour and limits:

- attributes are a plain dict; a str, bool, int or float value under the length limit is stored as given,
  anything else goes through the SDK's own cleaning, and the count limit drops the oldest (counted in
  `dropped_attributes`), as the SDK's BoundedAttributes does;
- the events and links lists are made on first use;
- the ended span itself goes to the processors (it cannot change once ended, so no copy is needed).

Everything else (sampling, ids, the span processors and exporters, resources, instrumentation scopes, span
limits from OTEL_SPAN_*, status, events, exceptions, the context-manager protocol) is the SDK's. The tests
compare the OTLP encoding of the same spans made both ways, byte for byte.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping, Sequence
from time import time_ns
from typing import Any

from opentelemetry import context as context_api
from opentelemetry import trace as trace_api
from opentelemetry.attributes import _clean_attribute_value, _is_non_custom_str
from opentelemetry.sdk.trace import EventBase, Span, SpanLimits, Tracer, TracerProvider, _check_span_ended
from opentelemetry.sdk.trace.sampling import ALWAYS_ON, DEFAULT_ON
from opentelemetry.sdk.util import BoundedList
from opentelemetry.trace import SpanKind, TraceFlags, TraceState
from opentelemetry.trace.status import Status, StatusCode
from opentelemetry.util import types

logger = logging.getLogger(__name__)

_PLAIN = frozenset({str, bool, int, float})
_RANDOM = TraceFlags.RANDOM_TRACE_ID
# Every combination of the two flags a span can get, made once (TraceFlags is an immutable int).
_TRACE_FLAGS = tuple(TraceFlags(flags) for flags in range((TraceFlags.SAMPLED | _RANDOM) + 1))
# Attribute sets found clean (string keys, plain values within the length limit) under a length limit, with
# their values' types: the same sets come with every request (the server span's, each statement's), and
# checking them again, key by key, was the largest part of making a span. Equal sets with equal types are
# clean alike, so 0.0 and -0.0 may share an entry.
AttributeSetKey = tuple[tuple[tuple[str, Any], ...], tuple[type, ...]]
clean_attribute_sets: set[tuple[int | None, AttributeSetKey]] = set()
_CLEAN_KEPT = 1024


def attribute_set_key(attributes: Mapping[str, Any]) -> AttributeSetKey | None:
    """A hashable key for an attribute set: its items and its values' types (True == 1, but they differ here).

    None when a value cannot be hashed (a list): such a set is never kept.
    """
    try:
        key = (tuple(attributes.items()), tuple(map(type, attributes.values())))
        hash(key)
    except TypeError:
        return None
    return key


_UNSET = Status(StatusCode.UNSET)


class LightSpan(Span):
    """An SDK span built without the per-span containers it rarely needs (see the module docstring)."""

    # What every span starts with, read from the class until a span sets its own (a smaller span to make).
    _trace_config = None
    _record_end_metrics = None
    _status = _UNSET
    _start_time: int | None = None
    _end_time: int | None = None
    _dropped_attributes = 0
    _events: Sequence[Any] = ()
    _links: Sequence[trace_api.Link] = ()

    def __init__(
        self,
        name: str,
        context: trace_api.SpanContext,
        parent: trace_api.SpanContext | None,
        tracer: Tracer,
        kind: SpanKind,
        attributes: types.Attributes,
        links: Sequence[trace_api.Link],
        record_exception: bool,
        set_status_on_exception: bool,
    ) -> None:
        # Span.__init__ is not called: it would build the containers this class exists to avoid.
        limits: SpanLimits = tracer._span_limits
        self._name = name
        self._context = context
        self._parent = parent
        self._kind = kind
        self._resource = tracer.resource
        self._instrumentation_info = tracer.instrumentation_info
        self._instrumentation_scope = tracer._instrumentation_scope
        self._span_processor = tracer.span_processor
        self._limits = limits
        self._sampler = tracer.sampler
        self._record_exception = record_exception
        self._set_status_on_exception = set_status_on_exception
        self._lock = threading.Lock()
        self._attributes: dict[str, types.AnyValue] = {}
        if attributes:
            self._store(attributes)
        if links:
            self._links = self._new_links(links)

    def _store(self, attributes: Mapping[str, types.AnyValue], *, single: bool = False) -> None:
        """Add attributes under the span limits, cleaning keys and values as the SDK's BoundedAttributes does.

        `single` is set_attribute's path, where the SDK drops a key that is not a non-empty string; from a
        mapping (the span's start, set_attributes) it drops empty keys and turns other keys into strings.
        Attributes already found clean (`clean_attribute_sets`), added where nothing moves or drops, are copied.
        """
        limit = self._limits.max_span_attribute_length
        most = self._limits.max_span_attributes
        stored = self._attributes
        seen = None
        if (most is None or len(stored) + len(attributes) <= most) and (
            not stored or stored.keys().isdisjoint(attributes)
        ):
            set_key = attribute_set_key(attributes)
            if set_key is not None:
                seen = (limit, set_key)
                if seen in clean_attribute_sets:
                    stored.update(attributes)
                    return
        for key, value in attributes.items():
            if type(key) is not str or not key:
                seen = None
                cleaned = self._clean_key(key, single)
                if cleaned is None:
                    self._dropped_attributes += 1
                    continue
                key = cleaned
            if not (type(value) in _PLAIN and (limit is None or type(value) is not str or len(value) <= limit)):
                seen = None
                value = _clean_attribute_value(value, limit)
            if key in stored:
                del stored[key]  # a key set again moves to the end, as in the SDK
            elif most is not None and len(stored) >= most:
                if most == 0:
                    self._dropped_attributes += 1
                    continue
                del stored[next(iter(stored))]
                self._dropped_attributes += 1
            stored[key] = value
        if seen is not None:
            if len(clean_attribute_sets) >= _CLEAN_KEPT:
                clean_attribute_sets.clear()  # bounded; the everyday ones come back at once
            clean_attribute_sets.add(seen)

    @staticmethod
    def _clean_key(key: object, single: bool) -> str | None:
        if key and isinstance(key, str):
            return key
        if single or not key or not _is_non_custom_str(key):
            logger.warning("invalid attribute key `%s`. must be a non-empty string. Dropping it.", key)
            return None
        return str(key)

    @property
    def dropped_attributes(self) -> int:
        return self._dropped_attributes

    def set_attributes(self, attributes: Mapping[str, types.AnyValue]) -> None:
        with self._lock:  # as the SDK: a span shared between threads keeps its attributes consistent
            if self._end_time is not None:
                logger.warning("Setting attribute on ended span.")
                return
            self._store(attributes)

    def set_attribute(self, key: str, value: types.AnyValue) -> None:
        with self._lock:
            if self._end_time is not None:
                logger.warning("Setting attribute on ended span.")
                return
            self._store({key: value}, single=True)

    # The SDK's own guard for these two: under the span's lock, and only while the span has not ended.
    @_check_span_ended  # type: ignore[untyped-decorator]
    def _add_event(self, event: EventBase) -> None:
        events = self._events
        if not isinstance(events, BoundedList):
            events = self._events = BoundedList(self._limits.max_events)
        events.append(event)

    @_check_span_ended  # type: ignore[untyped-decorator]
    def _add_link(self, link: trace_api.Link) -> None:
        links = self._links
        if not isinstance(links, BoundedList):
            links = self._links = BoundedList(self._limits.max_links)  # only when no links were given at start
        links.append(link)

    def end(self, end_time: int | None = None) -> None:
        with self._lock:
            if self._start_time is None:
                raise RuntimeError("Calling end() on a not started span.")
            if self._end_time is not None:
                logger.warning("Calling end() on an ended span.")
                return
            self._end_time = end_time if end_time is not None else time_ns()
        self._span_processor._on_ending(self)
        self._span_processor.on_end(self)  # ended, so it no longer changes: no read-only copy needed


class LightTracer(Tracer):
    """The SDK's Tracer, making `LightSpan`s."""

    def start_span(
        self,
        name: str,
        context: context_api.Context | None = None,
        kind: SpanKind = SpanKind.INTERNAL,
        attributes: types.Attributes = None,
        links: Sequence[trace_api.Link] | None = (),
        start_time: int | None = None,
        record_exception: bool = True,
        set_status_on_exception: bool = True,
    ) -> trace_api.Span:
        links = links or ()
        parent: trace_api.SpanContext | None = trace_api.get_current_span(context).get_span_context()
        if not self._is_enabled():
            return trace_api.NonRecordingSpan(context=parent)  # type: ignore[arg-type]  # as the SDK does
        if parent is None or not parent.is_valid:
            parent = None
            trace_id = self.id_generator.generate_trace_id()
            random_trace_id = self.id_generator.is_trace_id_random()
        else:
            trace_id = parent.trace_id
            random_trace_id = parent.trace_flags.random_trace_id
        sampler = self.sampler
        trace_state: TraceState | None
        if sampler is ALWAYS_ON or sampler is DEFAULT_ON:
            # The SDK's two everyday samplers decide from the parent alone: always, or as the parent did
            # (sampling from scratch at the root). Their answer is worked out here without a sampling call.
            sampled = recording = sampler is ALWAYS_ON or parent is None or parent.trace_flags.sampled
            trace_state = parent.trace_state if parent is not None else None
        else:
            sampling = sampler.should_sample(context, trace_id, name, kind, attributes, links)
            sampled = sampling.decision.is_sampled()  # type: ignore[no-untyped-call]
            recording = sampling.decision.is_recording()  # type: ignore[no-untyped-call]
            trace_state = sampling.trace_state
            attributes = sampling.attributes
        span_context = trace_api.SpanContext(
            trace_id,
            self.id_generator.generate_span_id(),
            is_remote=False,
            trace_flags=_TRACE_FLAGS[(TraceFlags.SAMPLED if sampled else 0) | (_RANDOM if random_trace_id else 0)],
            trace_state=trace_state,
        )
        if not recording:
            return trace_api.NonRecordingSpan(context=span_context)
        span = LightSpan(
            name,
            span_context,
            parent,
            self,
            kind,
            attributes,
            links,
            record_exception,
            set_status_on_exception,
        )
        span._start_time = start_time if start_time is not None else time_ns()
        self.span_processor.on_start(span, parent_context=context)
        return span


class LightTracerProvider(TracerProvider):
    """The SDK's TracerProvider, whose tracers make `LightSpan`s."""

    def get_tracer(
        self,
        instrumenting_module_name: str,
        instrumenting_library_version: str | None = None,
        schema_url: str | None = None,
        attributes: types.Attributes = None,
    ) -> trace_api.Tracer:
        tracer = super().get_tracer(instrumenting_module_name, instrumenting_library_version, schema_url, attributes)
        if type(tracer) is Tracer:
            # The SDK builds, configures and caches the tracer; only the way it makes spans changes.
            tracer.__class__ = LightTracer
        return tracer
