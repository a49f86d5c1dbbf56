"""Light spans behave as the SDK's own: the same spans made both ways encode to the same OTLP bytes."""

from __future__ import annotations

import copy
import itertools
import pickle
import sys
import threading
from collections.abc import Callable, Sequence

import pytest
from google.protobuf.internal.encoder import _VarintBytes
from opentelemetry import trace
from opentelemetry.context import set_value
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, SpanLimits, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.sdk.trace.id_generator import IdGenerator
from opentelemetry.sdk.trace.sampling import (
    ALWAYS_OFF,
    ALWAYS_ON,
    DEFAULT_ON,
    ParentBased,
    Sampler,
    TraceIdRatioBased,
)
from opentelemetry.trace import (
    Link,
    NonRecordingSpan,
    SpanContext,
    SpanKind,
    StatusCode,
    TraceFlags,
    TraceState,
    set_span_in_context,
)
from opentelemetry.trace.propagation import _SPAN_KEY

import telemetry
from telemetry import spans as light_spans
from telemetry.otlp import _varint
from telemetry.otlp import encode_spans as fast_encode
from telemetry.spans import AttributeSet, LightSpan, LightTracer, LightTracerProvider


class CountingIds(IdGenerator):
    """Ids 1, 2, 3...: two providers given one each make the same ids in the same order."""

    def __init__(self) -> None:
        self._next = itertools.count(1)

    def generate_span_id(self) -> int:
        return next(self._next)

    def generate_trace_id(self) -> int:
        return 0xABC000 + next(self._next)


class Keep(SpanExporter):
    def __init__(self) -> None:
        self.spans: list[ReadableSpan] = []

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        self.spans.extend(spans)
        return SpanExportResult.SUCCESS


class Opaque:
    """No __str__ or __repr__ of its own: not a valid attribute value, and not turned into a string."""

    __slots__ = ()


Scenario = Callable[[trace.Tracer, type[dict]], None]  # type: ignore[type-arg]  # given dict or AttributeSet


def made_with(
    provider_type: type[TracerProvider],
    scenario: Scenario,
    *,
    wrap: type[dict] = dict,
    **options: object,  # type: ignore[type-arg]
) -> list[ReadableSpan]:
    """The spans a scenario makes, its attribute mappings made with `wrap` (dict, or AttributeSet)."""
    kept = Keep()
    provider = provider_type(resource=Resource({"service.name": "t"}), id_generator=CountingIds(), **options)  # type: ignore[arg-type]
    provider.add_span_processor(SimpleSpanProcessor(kept))
    scenario(provider.get_tracer("tests.spans", "1.0", "https://opentelemetry.io/schemas/1.26.0"), wrap)
    return kept.spans


def everything(tracer: trace.Tracer, A: type[dict] = dict) -> None:  # type: ignore[type-arg]
    """Every way a span gets its content, with fixed times so both kinds of span can be compared."""
    remote = SpanContext(0x77, 0x88, is_remote=True, trace_flags=TraceFlags(TraceFlags.SAMPLED))
    root = tracer.start_span(
        "GET",
        kind=SpanKind.SERVER,
        attributes=A({"http.request.method": "GET", "url.path": "/api/v1/tasks", "n": 3, "ok": True, "ratio": 0.5}),
        start_time=1_000,
    )
    with trace.use_span(root, end_on_exit=False):
        child = tracer.start_span(
            "SELECT todochat",
            kind=SpanKind.CLIENT,
            attributes=A({"db.statement": "SELECT 1", "tags": ["a", "b"], "nothing": None, "weird": Opaque()}),
            links=[Link(remote, {"why": "retry"})],
            start_time=2_000,
        )
        child.set_attribute("db.rows", 1)
        child.set_attributes(A({"db.statement": "SELECT 2", "nested": {"k": [1, 2]}, "obj": object.__name__}))
        child.add_event("fetched", {"rows": 1}, timestamp=2_500)
        child.add_link(remote, {"why": "again"})
        try:
            raise ValueError("no such table")
        except ValueError as exc:
            child.record_exception(exc, timestamp=2_600)
        child.set_status(StatusCode.ERROR, "no such table")
        child.end(end_time=3_000)
        child.set_attribute("late", 1)  # ignored: the span has ended
        child.end(end_time=9_000)  # ignored too
    root.set_attributes(A({"": "empty", 7: "seven"}))  # keys a caller got wrong
    root.set_attribute("", "empty again")
    root.set_attribute(8, "eight")  # type: ignore[arg-type]
    root.update_name("GET /api/v1/tasks")
    root.set_attribute("http.response.status_code", 200)
    root.set_attribute("url.path", "/api/v1/tasks?again")  # a key set again
    root.end(end_time=4_000)


def many_attributes(tracer: trace.Tracer, A: type[dict] = dict) -> None:  # type: ignore[type-arg]
    span = tracer.start_span("limits", attributes=A({f"k{i}": "x" * i for i in range(6)}), start_time=1)
    span.set_attribute("k1", "y" * 20)
    span.set_attributes(A({"late1": 1, "late2": "long value here", "": "empty key", "k5": 5}))
    span.end(end_time=2)


@pytest.mark.parametrize(
    ("scenario", "options"),
    [
        (everything, {}),
        (many_attributes, {"span_limits": SpanLimits(max_span_attributes=4, max_span_attribute_length=8)}),
        (many_attributes, {"span_limits": SpanLimits(max_span_attributes=0)}),
    ],
)
@pytest.mark.parametrize("wrap", [dict, AttributeSet])
def test_light_spans_encode_exactly_as_sdk_spans(scenario: Scenario, options: dict, wrap: type[dict]) -> None:  # type: ignore[type-arg]
    sdk = made_with(TracerProvider, scenario, **options)
    light = made_with(LightTracerProvider, scenario, wrap=wrap, **options)
    assert all(isinstance(s, LightSpan) for s in light)
    assert len(light) == len(sdk) > 0
    assert encode_spans(light).SerializeToString() == encode_spans(sdk).SerializeToString()
    for a, b in zip(light, sdk, strict=True):
        assert (a.dropped_attributes, a.dropped_events, a.dropped_links) == (
            b.dropped_attributes,
            b.dropped_events,
            b.dropped_links,
        )
        assert dict(a.attributes or {}) == dict(b.attributes or {})
        assert a.to_json() == b.to_json()


def test_the_limits_drop_and_count_as_the_sdk_does() -> None:
    (span,) = made_with(LightTracerProvider, many_attributes, span_limits=SpanLimits(4, max_span_attribute_length=8))
    # k0..k5 keep the newest 4; k1 comes back truncated; late1, late2 push out the oldest; the empty key is
    # dropped; k5 set again moves to the end.
    assert dict(span.attributes or {}) == {"k1": "yyyyyyyy", "late1": 1, "late2": "long val", "k5": 5}
    assert span.dropped_attributes == 6


def test_unsampled_spans_are_not_recorded_and_keep_the_parent_trace() -> None:
    for sampler, recorded in ((ALWAYS_ON, True), (ALWAYS_OFF, False)):
        provider = LightTracerProvider(sampler=sampler)
        tracer = provider.get_tracer("tests.spans")
        assert isinstance(tracer, LightTracer)
        parent = tracer.start_span("parent")
        with trace.use_span(parent, end_on_exit=True):
            child = tracer.start_span("child")
        assert child.is_recording() is recorded
        assert child.get_span_context().trace_id == parent.get_span_context().trace_id
        assert child.get_span_context().trace_flags.sampled is recorded


def test_a_span_ended_from_two_threads_is_exported_once() -> None:
    kept = Keep()
    provider = LightTracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(kept))
    span = provider.get_tracer("tests.spans").start_span("raced")
    threads = [threading.Thread(target=span.end) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert kept.spans == [span]


def test_the_global_provider_caches_its_tracers_once_tracing_is_configured(server: object) -> None:
    tracer = trace.get_tracer("tests.spans.global")
    assert isinstance(tracer, LightTracer) == telemetry.current_config().fast_path  # type: ignore[union-attr]
    assert trace.get_tracer("tests.spans.global") is tracer  # cached by the SDK, light or not


def metric_points(reader: InMemoryMetricReader) -> dict[tuple[str, frozenset[tuple[str, object]]], int]:
    data = reader.get_metrics_data()
    assert data is not None
    return {
        (metric.name, frozenset(point.attributes.items())): point.value
        for resource_metrics in data.resource_metrics
        for scope_metrics in resource_metrics.scope_metrics
        for metric in scope_metrics.metrics
        for point in metric.data.data_points
    }


def self_metrics(provider_class: type[TracerProvider], sampler: Sampler) -> dict[tuple[str, frozenset], int]:  # type: ignore[type-arg]
    reader = InMemoryMetricReader()
    provider = provider_class(
        sampler=sampler, id_generator=CountingIds(), meter_provider=MeterProvider(metric_readers=[reader])
    )
    parents(provider.get_tracer("tests.spans.metrics"))
    provider.get_tracer("tests.spans.metrics").start_span("left open")
    return metric_points(reader)


@pytest.mark.parametrize("sampler", [DEFAULT_ON, ALWAYS_OFF, ParentBased(TraceIdRatioBased(0.5))], ids=str)
def test_light_tracers_record_the_sdks_started_and_live_span_metrics(
    sampler: Sampler, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OTEL_PYTHON_SDK_INTERNAL_METRICS_ENABLED", "true")
    sdk = self_metrics(TracerProvider, sampler)
    assert {name for name, _ in sdk} >= {"otel.sdk.span.started"}
    assert self_metrics(LightTracerProvider, sampler) == sdk


def mixed(tracer: trace.Tracer, A: type[dict] = dict) -> None:  # type: ignore[type-arg]
    """Everyday spans and others, under two scopes: the encoder writes some and hands the rest on."""
    everything(tracer, A)
    remote = SpanContext(0x5, 0x6, is_remote=True, trace_flags=TraceFlags(TraceFlags.SAMPLED))
    child = tracer.start_span(
        "remote child",
        context=set_span_in_context(NonRecordingSpan(remote)),
        attributes={"s": "", "t": "ünïcode ✓", "f": False, "z": 0, "neg": -5, "big": 2**62, "d": -0.25, "inf": 1e300},
        start_time=10,
    )
    child.set_status(StatusCode.OK)
    child.end(end_time=20)
    tracer.start_span("", attributes={"x": 1, "zero": 0.0, "one": True}, start_time=30).end(end_time=31)
    tracer.start_span("again", attributes={"x": 1, "zero": -0.0, "one": 1}, start_time=32).end(end_time=33)
    tracer.start_span("huge int", attributes={"n": 2**64}, start_time=40).end(end_time=41)
    tracer.start_span("flag", attributes={"flag": True, "n": 1}, start_time=50).end(end_time=51)
    tracer.start_span("flag", attributes={"flag": 1, "n": True}, start_time=52).end(end_time=53)  # equal, not same


# Made once and passed with span after span, as the server span's and each statement's are.
ROUTE = AttributeSet({"http.request.method": "GET", "url.path": "/api/v1/tasks", "url.scheme": "http"})
DONE = AttributeSet({"http.route": "/api/v1/tasks", "http.response.status_code": 200})
STATEMENT = AttributeSet({"db.system": "postgresql", "db.statement": "SELECT tasks.id FROM tasks"})
NUMBERS = AttributeSet({"n": 1, "ratio": 0.5, "neg": -0.0, "flag": True, "one": 1.0})
UNCLEAN = AttributeSet({"tags": ["a"], "none": None})


def reused(tracer: trace.Tracer, _: type[dict] = dict) -> None:  # type: ignore[type-arg]
    root = tracer.start_span("GET", kind=SpanKind.SERVER, attributes=ROUTE, start_time=1)
    with trace.use_span(root, end_on_exit=False):
        tracer.start_span("SELECT", kind=SpanKind.CLIENT, attributes=STATEMENT, start_time=2).end(end_time=3)
        two = tracer.start_span("two sets", attributes=NUMBERS, start_time=4)
        two.set_attributes(DONE)
        two.end(end_time=5)
        overlap = tracer.start_span("the same set twice", attributes=ROUTE, start_time=6)
        overlap.set_attributes(ROUTE)
        overlap.end(end_time=7)
        mixed_in = tracer.start_span("a set, an attribute, a set", attributes=DONE, start_time=8)
        mixed_in.set_attribute("extra", 1)
        mixed_in.set_attributes(NUMBERS)
        mixed_in.end(end_time=9)
        tracer.start_span("unclean", attributes=UNCLEAN, start_time=10).end(end_time=11)
    root.set_attributes(DONE)
    root.end(end_time=12)


@pytest.mark.parametrize(
    "limits",
    [SpanLimits(), SpanLimits(max_span_attribute_length=8), SpanLimits(max_span_attributes=4), SpanLimits(max_links=9)],
    ids=["no limits", "short values", "few attributes", "no limits again"],
)
def test_attribute_sets_are_checked_and_written_once_and_stored_as_the_sdk_stores_them(limits: SpanLimits) -> None:
    sdk = made_with(TracerProvider, reused, span_limits=limits)
    expected = encode_spans(sdk).SerializeToString()
    for _ in range(2):  # the second time the sets are taken as checked, their encoding as written
        light = made_with(LightTracerProvider, reused, span_limits=limits)
        assert encode_spans(light).SerializeToString() == expected
        assert fast_encode(light) == expected
        assert [dict(s.attributes or {}) for s in light] == [dict(s.attributes or {}) for s in sdk]
        assert [s.dropped_attributes for s in light] == [s.dropped_attributes for s in sdk]
    by_name = {s.name: s for s in light}
    assert isinstance(by_name["two sets"], LightSpan)
    if limits.max_span_attribute_length is None and limits.max_span_attributes is None:
        assert by_name["GET"]._sets == (ROUTE, DONE)  # copied as given, written from the sets' own encoding
        assert by_name["two sets"]._sets == (NUMBERS, DONE)
        assert ROUTE.encoded is not None
        assert STATEMENT.encoded is not None
    assert by_name["the same set twice"]._sets is None  # a key set again: stored key by key
    assert by_name["a set, an attribute, a set"]._sets is None
    assert by_name["unclean"]._sets is None


def test_attribute_sets_do_not_change() -> None:
    for change in (
        lambda: ROUTE.__setitem__("url.path", "/other"),
        lambda: ROUTE.update({"url.path": "/other"}),
        lambda: ROUTE.pop("url.path"),
        lambda: ROUTE.clear(),
        lambda: ROUTE.setdefault("new", 1),
        lambda: ROUTE.popitem(),
        lambda: ROUTE.__delitem__("url.path"),
    ):
        with pytest.raises(TypeError, match="does not change"):
            change()
    assert ROUTE["url.path"] == "/api/v1/tasks"


@pytest.mark.parametrize("scenario", [everything, many_attributes, mixed, reused])
def test_the_fast_encoder_writes_what_the_exporter_would(scenario: Scenario) -> None:
    spans = made_with(LightTracerProvider, scenario, span_limits=SpanLimits(max_span_attribute_length=8))
    second_scope = made_with(LightTracerProvider, mixed)
    sdk_spans = made_with(TracerProvider, mixed)
    # Equal resources and scopes held by different objects, interleaved, and the SDK's own spans among them:
    # grouped by equality, in the order first seen, as the exporter does.
    batch = [*spans, *second_scope, *spans[:1], *sdk_spans, *second_scope[:1], *spans[1:2]]
    assert fast_encode(batch) == encode_spans(batch).SerializeToString()
    assert ExportTraceServiceRequest.FromString(fast_encode(batch)) == encode_spans(batch)


def parents(tracer: trace.Tracer, _: type[dict] = dict) -> None:  # type: ignore[type-arg]
    """Spans under every kind of parent: none, local sampled and not, remote sampled and not, with trace state."""
    state = TraceState([("vendor", "v1")])
    remote = {
        flag: SpanContext(0x42, 0x43, is_remote=True, trace_flags=TraceFlags(flag), trace_state=state)
        for flag in (TraceFlags.DEFAULT, TraceFlags.SAMPLED)
    }
    for parent in remote.values():
        with trace.use_span(NonRecordingSpan(parent)):
            tracer.start_span("under remote", start_time=1).end(end_time=2)
    root = tracer.start_span("root", attributes={"a": 1}, start_time=3)
    with trace.use_span(root, end_on_exit=False):
        tracer.start_span("under local", attributes={"b": 2}, start_time=4).end(end_time=5)
    root.end(end_time=6)
    unsampled_local = SpanContext(0x52, 0x53, is_remote=False, trace_flags=TraceFlags(TraceFlags.DEFAULT))
    with trace.use_span(NonRecordingSpan(unsampled_local)):
        tracer.start_span("under unsampled local", start_time=7).end(end_time=8)


@pytest.mark.parametrize(
    "sampler", [ALWAYS_ON, DEFAULT_ON, ALWAYS_OFF, TraceIdRatioBased(0.5), ParentBased(ALWAYS_OFF)]
)
def test_sampling_decisions_match_the_sdk(sampler: Sampler) -> None:
    sdk = made_with(TracerProvider, parents, sampler=sampler)
    light = made_with(LightTracerProvider, parents, sampler=sampler)
    assert [s.name for s in light] == [s.name for s in sdk]
    assert encode_spans(light).SerializeToString() == encode_spans(sdk).SerializeToString()
    if sampler is ALWAYS_ON:
        assert len(light) == 5
    for span in light:
        assert span.context.trace_flags.sampled
        if span.parent is not None and span.parent.is_remote:
            assert span.context.trace_state == TraceState([("vendor", "v1")])


def test_attributes_set_from_many_threads_stay_within_the_limit() -> None:
    provider = LightTracerProvider(span_limits=SpanLimits(max_span_attributes=16))
    span = provider.get_tracer("tests.spans").start_span("shared")
    errors: list[BaseException] = []

    def write(n: int) -> None:
        try:
            for i in range(2000):
                span.set_attribute(f"k{(n * 7 + i) % 40}", i)
        except BaseException as exc:
            errors.append(exc)

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible, to give a race its chance
    try:
        threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(interval)
    span.end()
    assert errors == []
    assert len(span.attributes or {}) == 16
    assert span.dropped_attributes > 0


@pytest.mark.parametrize("value", [0, 1, 0x7F, 0x80, 0x81, 0x3FFF, 0x4000, 0x4001, 2**31, 2**63 - 1, -1, -5, -(2**63)])
def test_varints_are_written_as_protobuf_writes_them(value: int) -> None:
    assert _varint(value) == _VarintBytes(value if value >= 0 else value + 2**64)


class Recording(SimpleSpanProcessor):
    """Writes down every call a span makes to it (the simple processor's on_start and _on_ending do nothing,
    so these are the calls a LightSpan must not skip)."""

    def __init__(self, name: str, log: list[tuple[str, str, str]]) -> None:
        super().__init__(Keep())
        self.name, self.log = name, log

    def on_start(self, span: object, parent_context: object = None) -> None:
        self.log.append((self.name, "on_start", span.name))  # type: ignore[attr-defined]

    def _on_ending(self, span: object) -> None:
        self.log.append((self.name, "_on_ending", span.name))  # type: ignore[attr-defined]

    def on_end(self, span: ReadableSpan) -> None:
        self.log.append((self.name, "on_end", span.name))
        super().on_end(span)


def processors_come_and_go(provider: TracerProvider) -> list[tuple[str, str, str]]:
    log: list[tuple[str, str, str]] = []
    quiet = Keep()
    provider.add_span_processor(SimpleSpanProcessor(quiet))  # on_start and _on_ending that do nothing
    provider.add_span_processor(Recording("first", log))
    tracer = provider.get_tracer("tests.spans")
    early = tracer.start_span("early")
    provider.add_span_processor(Recording("second", log))  # the span started without it, and ends with it
    tracer.start_span("both").end()
    early.end()
    log.append(("quiet", "kept", ",".join(s.name for s in quiet.spans)))
    return log


def test_span_processors_are_called_as_the_sdk_calls_them() -> None:
    light = processors_come_and_go(LightTracerProvider())
    assert light == processors_come_and_go(TracerProvider())
    assert ("second", "on_end", "early") in light  # a processor added while the span ran sees it end
    assert ("quiet", "kept", "both,early") in light


def test_light_spans_are_made_by_their_tracer_only() -> None:
    with pytest.raises(TypeError, match="start_span"):
        LightSpan("made by hand")  # type: ignore[call-arg]


def test_span_context_in_reads_what_get_current_span_gives() -> None:
    light = LightTracerProvider().get_tracer("tests.spans").start_span("light")
    sdk = TracerProvider().get_tracer("tests.spans").start_span("sdk")
    remote = NonRecordingSpan(SpanContext(0x1, 0x2, is_remote=True, trace_flags=TraceFlags(TraceFlags.SAMPLED)))
    contexts = [
        None,
        trace.set_span_in_context(light),
        trace.set_span_in_context(sdk),
        trace.set_span_in_context(remote),
        trace.set_span_in_context(trace.INVALID_SPAN),
        set_value(_SPAN_KEY, "not a span"),
    ]
    for context in contexts:
        assert light_spans.span_context_in(context) == trace.get_current_span(context).get_span_context()
        with trace.use_span(trace.get_current_span(context)):
            assert light_spans.span_context_in() == trace.get_current_span().get_span_context()
    assert light_spans.span_context_in(trace.set_span_in_context(light)) is light.get_span_context()


class Forwarding:
    """A stand-in that forwards every hook to a processor it wraps (as an agent's wrapper might): its class
    has none of the processor's methods."""

    def __init__(self, wrapped: SimpleSpanProcessor) -> None:
        self._wrapped = wrapped

    def __getattr__(self, name: str) -> object:
        return getattr(self._wrapped, name)


def test_hooks_set_on_an_instance_or_forwarded_are_called() -> None:
    for provider_type in (LightTracerProvider, TracerProvider):
        provider = provider_type()
        forwarded, patched = Keep(), Keep()
        provider.add_span_processor(Forwarding(SimpleSpanProcessor(forwarded)))  # type: ignore[arg-type]
        on_instance = SimpleSpanProcessor(Keep())
        on_instance.on_start = lambda span, parent_context=None, seen=patched: seen.spans.append(span)  # type: ignore[method-assign]
        provider.add_span_processor(on_instance)
        provider.get_tracer("tests.spans").start_span("watched").end()
        assert [s.name for s in forwarded.spans] == ["watched"], provider_type
        assert [s.name for s in patched.spans] == ["watched"], provider_type


def test_attribute_sets_copy_and_pickle_whole() -> None:
    for made in (copy.copy(ROUTE), copy.deepcopy(ROUTE), pickle.loads(pickle.dumps(ROUTE))):
        assert type(made) is AttributeSet
        assert made == ROUTE


def test_a_long_attribute_sets_encoding_is_not_kept() -> None:
    long_path = AttributeSet({"url.path": "/" + "x" * 5000})
    provider = LightTracerProvider()
    kept = Keep()
    provider.add_span_processor(SimpleSpanProcessor(kept))
    provider.get_tracer("tests.spans").start_span("long", attributes=long_path).end()
    assert fast_encode(kept.spans) == encode_spans(kept.spans).SerializeToString()
    assert long_path.encoded is None  # written again each time rather than held twice
