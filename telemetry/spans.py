"""Spans that cost less to make: the OpenTelemetry SDK's Tracer and Span with a lighter way of building them.

The SDK's per-span bookkeeping (a locked, validating attribute container, locked lists for events and links that
are almost always empty, a read-only copy of the span at its end) was most of what tracing cost
(docs/performance.md, "Telemetry"). `LightTracer` makes `LightSpan`s instead, which keep the SDK's behaviour
and limits:

- attributes are a plain dict; a str, bool, int or float value under the length limit is stored as given,
  anything else goes through the SDK's own cleaning, and the count limit drops the oldest (counted in
  `dropped_attributes`), as the SDK's BoundedAttributes does;
- the events and links lists are made on first use;
- the ended span itself goes to the processors (it cannot change once ended, so no copy is needed);
- fewer Python calls per span: the span is made
  by the tracer without Span.__new__ and __init__, the processors' methods that do nothing (the batch and
  simple processors' on_start and _on_ending) are not called, and span contexts are built and read as the
  tuples they are rather than through their properties (`span_context_in` does the same for callers).

Everything else (sampling, ids, the span processors and exporters, resources, instrumentation scopes, span
limits from OTEL_SPAN_*, status, events, exceptions, the context-manager protocol, the tracer's self-metrics) is
the SDK's. The tests compare the OTLP encoding of the same spans made both ways, byte for byte; with
TELEMETRY_FAST_PATH=false the SDK's own classes are used.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from time import time_ns
from typing import Any, Final

from opentelemetry import context as context_api
from opentelemetry import trace as trace_api
from opentelemetry.attributes import _clean_attribute_value, _is_non_custom_str
from opentelemetry.context import Context
from opentelemetry.sdk.trace import (
    EventBase,
    Span,
    SpanProcessor,
    SynchronousMultiSpanProcessor,
    Tracer,
    TracerProvider,
    _check_span_ended,
)
from opentelemetry.sdk.trace._tracer_metrics import NoOpTracerMetrics
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor
from opentelemetry.sdk.trace.sampling import ALWAYS_ON, DEFAULT_ON, Decision, SamplingResult
from opentelemetry.sdk.util import BoundedList
from opentelemetry.trace import INVALID_SPAN_CONTEXT, NonRecordingSpan, SpanContext, SpanKind, TraceFlags, TraceState
from opentelemetry.trace.propagation import _SPAN_KEY
from opentelemetry.trace.span import DEFAULT_TRACE_STATE
from opentelemetry.trace.status import Status, StatusCode
from opentelemetry.util import types

logger = logging.getLogger(__name__)

# A SpanContext is a tuple (trace_id, span_id, is_remote, trace_flags, trace_state, is_valid) whose fields are
# read through properties: Python calls, several per span. The paths every request takes index it instead.
TRACE_ID: Final = 0
SPAN_ID: Final = 1
IS_REMOTE: Final = 2
TRACE_FLAGS: Final = 3
TRACE_STATE: Final = 4
IS_VALID: Final = 5
_SPAN_ID_MAX = 2**64 - 1
_new_span_context = tuple.__new__
_new_span = object.__new__


def span_context_in(context: Context | None = None) -> SpanContext:
    """The context of the span in `context` (by default the current one), as
    `trace.get_current_span(context).get_span_context()` gives it, without most of its six Python calls."""
    span = (context_api.get_current() if context is None else context).get(_SPAN_KEY)
    kind = type(span)
    if kind is LightSpan or kind is NonRecordingSpan:
        return span._context  # type: ignore[attr-defined, no-any-return]  # both keep it there
    if span is None or not isinstance(span, trace_api.Span):
        return INVALID_SPAN_CONTEXT
    return span.get_span_context()


# Span processor methods that do nothing: the base class's, and the batch and simple processors' on_start and
# _on_ending. A LightSpan calls only the others (through the SDK's multi-processor, all would be called).
_NO_OPS = frozenset(
    {
        SpanProcessor.on_start,
        SpanProcessor._on_ending,
        SpanProcessor.on_end,
        BatchSpanProcessor.on_start,
        BatchSpanProcessor._on_ending,
        SimpleSpanProcessor.on_start,
        SimpleSpanProcessor._on_ending,
    }
)


class _Hooks:
    """What a provider's span processor does at a span's start, just before its end, and at its end.

    For the SDK's synchronous multi-processor, the methods of the processors it holds that do something, in
    its order; for any other, its own. They are still current while `source` is the multi-processor's tuple
    of processors, which it replaces when one is added (a method replaced on a processor already held is not
    seen until then).
    """

    __slots__ = ("endings", "ends", "source", "starts")

    def __init__(self, processor: SpanProcessor) -> None:
        self.source = getattr(processor, "_span_processors", processor)
        held: tuple[SpanProcessor, ...] = (
            processor._span_processors if type(processor) is SynchronousMultiSpanProcessor else (processor,)
        )
        self.starts = _doing_something(p.on_start for p in held)
        self.endings = _doing_something(p._on_ending for p in held)
        self.ends = _doing_something(p.on_end for p in held)


def _doing_something(methods: Iterable[Callable[..., None]]) -> tuple[Callable[..., None], ...]:
    """The bound methods that are not known no-ops (decided from what each is bound to, so a hook set on an
    instance, or a stand-in without the class's methods, is called as the SDK would call it)."""
    return tuple(method for method in methods if getattr(method, "__func__", None) not in _NO_OPS)


_PLAIN = frozenset({str, bool, int, float})
_RANDOM = TraceFlags.RANDOM_TRACE_ID
_SAMPLED = TraceFlags.SAMPLED
_TRACE_ID_MAX = 2**128 - 1
# Every combination of the two flags a span can get, made once (TraceFlags is an immutable int).
_TRACE_FLAGS = tuple(TraceFlags(flags) for flags in range((TraceFlags.SAMPLED | _RANDOM) + 1))
_UNCHECKED = object()
RECORD_AND_SAMPLE, DROP = Decision.RECORD_AND_SAMPLE, Decision.DROP


class AttributeSet(dict):  # type: ignore[type-arg]  # dict[str, AnyValue]; subscripted, mypy rejects __slots__
    """Span attributes that never change once made, for a set passed with span after span (a route's, a
    statement's). A span checks them once per length limit and copies them as given from then on, and the
    OTLP encoder keeps their encoding on them; checking the same attributes again, key by key, and encoding
    them again, were the largest parts of making and writing a span. Changing one raises TypeError.
    """

    __slots__ = ("checked_under", "encoded")

    def __init__(self, attributes: Mapping[str, types.AnyValue] | None = None, /) -> None:
        super().__init__(attributes or ())
        self.checked_under: object = _UNCHECKED  # the length limit they were found clean under
        self.encoded: bytes | None = None  # their OTLP `attributes` fields, once written

    def _unchanging(self, *_args: Any, **_kwargs: Any) -> None:
        raise TypeError("an AttributeSet does not change once made")

    def __reduce__(self) -> tuple[type[AttributeSet], tuple[dict[str, types.AnyValue]]]:
        return AttributeSet, (dict(self),)  # copied and pickled whole, not item by item

    __setitem__ = __delitem__ = clear = pop = popitem = setdefault = update = __ior__ = _unchanging  # type: ignore[assignment]


def _clean(attributes: Mapping[str, Any], limit: int | None) -> bool:
    """Whether the SDK would store every attribute as given: non-empty string keys, plain values, strings
    within the length limit."""
    return all(
        type(key) is str
        and key
        and type(value) in _PLAIN
        and (limit is None or type(value) is not str or len(value) <= limit)
        for key, value in attributes.items()
    )


_UNSET = Status(StatusCode.UNSET)


class LightSpan(Span):
    """An SDK span built without the per-span containers it rarely needs (see the module docstring)."""

    # What every span starts with, read from the class until a span sets its own (a smaller span to make).
    _trace_config = None
    _record_end_metrics: Callable[[], None] | None = None  # the SDK's tracer self-metrics, when enabled
    _status = _UNSET
    _start_time: int | None = None
    _end_time: int | None = None
    _dropped_attributes = 0
    _events: Sequence[Any] = ()
    _links: Sequence[trace_api.Link] = ()

    _hooks: _Hooks | None = None
    _attributes: dict[str, types.AnyValue]
    # The AttributeSets the attributes were copied from, in order, while they are nothing else (None after).
    _sets: tuple[AttributeSet, ...] | None = ()

    def __init__(self, *_args: Any, **_kwargs: Any) -> None:
        raise TypeError("LightSpans are made by LightTracer.start_span")

    def _store(self, attributes: Mapping[str, types.AnyValue], *, single: bool = False) -> None:
        """Add attributes under the span limits, cleaning keys and values as the SDK's BoundedAttributes does.

        `single` is set_attribute's path, where the SDK drops a key that is not a non-empty string; from a
        mapping (the span's start, set_attributes) it drops empty keys and turns other keys into strings.
        An AttributeSet found clean, added where nothing moves or drops, is copied as given, and remembered in
        `_sets` while the span's attributes are exactly its sets in order (the encoder writes those from theirs).
        """
        limit = self._limits.max_span_attribute_length
        most = self._limits.max_span_attributes
        stored = self._attributes
        if (
            type(attributes) is AttributeSet
            and (most is None or len(stored) + len(attributes) <= most)
            and (not stored or stored.keys().isdisjoint(attributes))
            and (attributes.checked_under == limit or _clean(attributes, limit))
        ):
            attributes.checked_under = limit
            stored.update(attributes)
            sets = self._sets
            if sets is not None:
                self._sets = (*sets, attributes)
            return
        self._sets = None
        for key, value in attributes.items():
            if type(key) is not str or not key:
                cleaned = self._clean_key(key, single)
                if cleaned is None:
                    self._dropped_attributes += 1
                    continue
                key = cleaned
            if not (type(value) in _PLAIN and (limit is None or type(value) is not str or len(value) <= limit)):
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
        if self._record_end_metrics is not None:
            self._record_end_metrics()
        # The processors present now, as the SDK's span would call them.
        hooks = self._hooks
        processor = self._span_processor
        if hooks is None or hooks.source is not getattr(processor, "_span_processors", processor):
            hooks = self._hooks = _Hooks(processor)
        for ending in hooks.endings:
            ending(self)
        for end in hooks.ends:
            end(self)  # ended, so it no longer changes: no read-only copy needed


class LightTracer(Tracer):
    """The SDK's Tracer, making `LightSpan`s."""

    _hooks: _Hooks | None = None

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
        parent: SpanContext | None = span_context_in(context)
        if not self._tracer_config.is_enabled:  # Tracer._is_enabled(), without the call
            return trace_api.NonRecordingSpan(context=parent)  # type: ignore[arg-type]  # as the SDK does
        if parent is None or not parent[IS_VALID]:
            parent = None
            trace_id = self.id_generator.generate_trace_id()
            random_trace_id = self.id_generator.is_trace_id_random()
        else:
            trace_id = parent[TRACE_ID]
            random_trace_id = bool(parent[TRACE_FLAGS] & _RANDOM)
        sampler = self.sampler
        trace_state: TraceState | None
        sampling: SamplingResult | None = None
        if sampler is ALWAYS_ON or sampler is DEFAULT_ON:
            # The SDK's two everyday samplers decide from the parent alone: always, or as the parent did
            # (sampling from scratch at the root). Their answer is worked out here without a sampling call.
            sampled = recording = sampler is ALWAYS_ON or parent is None or bool(parent[TRACE_FLAGS] & _SAMPLED)
            trace_state = parent[TRACE_STATE] if parent is not None else None
        else:
            sampling = sampler.should_sample(context, trace_id, name, kind, attributes, links)
            sampled = sampling.decision.is_sampled()  # type: ignore[no-untyped-call]
            recording = sampling.decision.is_recording()  # type: ignore[no-untyped-call]
            trace_state = sampling.trace_state
            attributes = sampling.attributes
        tracer_metrics = self._tracer_metrics
        record_end_metrics = None
        if type(tracer_metrics) is not NoOpTracerMetrics:  # OTEL_PYTHON_SDK_INTERNAL_METRICS_ENABLED: as the SDK
            decision = sampling.decision if sampling is not None else (RECORD_AND_SAMPLE if sampled else DROP)
            record_end_metrics = tracer_metrics.start_span(parent, decision)
        span_id = self.id_generator.generate_span_id()
        # SpanContext(trace_id, span_id, False, flags, trace_state), built as its __new__ builds it.
        span_context: SpanContext = _new_span_context(
            SpanContext,
            (
                trace_id,
                span_id,
                False,
                _TRACE_FLAGS[(_SAMPLED if sampled else 0) | (_RANDOM if random_trace_id else 0)],
                trace_state if trace_state is not None else DEFAULT_TRACE_STATE,
                0 < trace_id <= _TRACE_ID_MAX and 0 < span_id <= _SPAN_ID_MAX,
            ),
        )
        if not recording:
            return trace_api.NonRecordingSpan(context=span_context)
        # Span.__new__ and Span.__init__ are not called: they would build the containers this class avoids.
        processor = self.span_processor
        hooks = self._hooks
        if hooks is None or hooks.source is not getattr(processor, "_span_processors", processor):
            hooks = self._hooks = _Hooks(processor)
        span = _new_span(LightSpan)
        span._name = name
        span._context = span_context
        span._parent = parent
        span._kind = kind
        span._resource = self.resource
        span._instrumentation_info = self.instrumentation_info
        span._instrumentation_scope = self._instrumentation_scope
        span._span_processor = processor
        span._hooks = hooks
        span._limits = self._span_limits
        span._sampler = sampler
        span._record_exception = record_exception
        span._set_status_on_exception = set_status_on_exception
        span._lock = threading.Lock()
        if record_end_metrics is not None:
            span._record_end_metrics = record_end_metrics
        span._attributes = {}
        if attributes:
            span._store(attributes)
        if links:
            span._links = span._new_links(links)
        span._start_time = start_time if start_time is not None else time_ns()
        for start in hooks.starts:
            start(span, parent_context=context)
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
