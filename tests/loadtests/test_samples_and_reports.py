"""The samples format the Locust recorder writes, and the reports the gate writes from a verdict."""

from __future__ import annotations

import json
from pathlib import Path
from xml.etree import ElementTree as ET

from loadtests.evaluate import evaluate
from loadtests.profiles import CHAT, PROFILES, Scenario, constant
from loadtests.report import GateReport, junit_xml, table, to_json, write_reports
from loadtests.samples import Bucket, SampleTail, encode, parse_lines, read_recording, rounded_ms
from slo.model import Spec
from tests.loadtests.conftest import FIXTURES

# Recorded by: todochat loadtest gate --mix chat --users 10 --duration 20 --gemini-error-rate 0.1 --gemini-attempts 1
ERRORS = FIXTURES / "chat-gemini-errors.samples.jsonl"
CHAT_RUN = Scenario("chat", CHAT, constant(10, 20, spawn_rate=2.0, settle=5.0))


def test_response_times_are_rounded_as_locust_rounds_them() -> None:
    assert [rounded_ms(x) for x in (7.4, 99.6, 104, 996, 1049, 12345)] == [7, 100, 100, 1000, 1000, 12000]


def test_lines_for_the_same_second_and_endpoint_add_up_and_a_torn_line_is_skipped() -> None:
    first = Bucket()
    first.add(12.0, False)
    first.add(250.0, True)
    records = encode({(5, "GET /x"): first}) + encode({(5, "GET /x"): first})
    lines = [json.dumps({"start": 4.5})] + [json.dumps(r) for r in records] + ['{"t": 6, "k": "GET /x", "n']
    rec = parse_lines(lines)
    assert rec.start == 4.5
    bucket = rec.buckets[(5, "GET /x")]
    assert (bucket.requests, bucket.failures, bucket.histogram) == (4, 2, {12: 2, 250: 2})


def test_a_tail_reads_only_complete_new_lines(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    tail = SampleTail(path)
    assert tail.poll().start is None  # not written yet
    path.write_text('{"start": 1.0}\n{"t": 1, "k": "GET /x", "n": 1, "f": 0, "h": {"5": 1}}\n{"t": 2, "k"')
    assert tail.poll().buckets[(1, "GET /x")].requests == 1
    with path.open("a") as fh:
        fh.write(': "GET /x", "n": 2, "f": 1, "h": {"7": 2}}\n')
    rec = tail.poll()
    assert rec.buckets[(2, "GET /x")].failures == 1
    assert rec.start == 1.0


def test_a_recorded_run_with_gemini_failing_one_call_in_ten_breaks_the_rollback_rule(spec: Spec) -> None:
    verdict = evaluate(read_recording(ERRORS), CHAT_RUN, spec, window_scale=1 / 60)
    assert verdict.breach_kinds[:2] == ("errors", "rollback")
    assert "latency" not in verdict.breach_kinds


def _report(spec: Spec) -> GateReport:
    verdict = evaluate(read_recording(ERRORS), CHAT_RUN, spec, window_scale=1 / 60, aborted="error burst")
    return GateReport(PROFILES["ci"], "http://127.0.0.1:1", (verdict,), {"chat": {"locust_html": "chat.html"}}, 40.0)


def test_the_json_report_carries_the_exit_code_and_every_check(spec: Spec) -> None:
    data = to_json(_report(spec))
    assert data["exit_code"] == 10
    assert data["passed"] is False
    assert data["breach_kinds"] == ["errors", "rollback"]
    (scenario,) = data["scenarios"]
    assert scenario["aborted"] == "error burst"
    assert {c["kind"] for c in scenario["checks"] if not c["passed"]} == {"errors", "rollback"}
    assert scenario["phases"][0]["endpoints"][0]["name"] == "/api/v1/chat"


def test_junit_has_one_failure_per_breached_check(spec: Spec) -> None:
    root = ET.fromstring(junit_xml(_report(spec)))
    (suite,) = root.findall("testsuite")
    assert suite.get("name") == "loadtest.ci.chat"
    failures = suite.findall("testcase/failure")
    assert int(suite.get("failures", "0")) == len(failures) == 2
    assert {f.get("type") for f in failures} == {"errors", "rollback"}


def test_the_table_shows_the_outcome_and_the_breaches_at_a_glance(spec: Spec, tmp_path: Path) -> None:
    text = table(_report(spec))
    assert "[FAIL] chat" in text
    assert "FAIL rollback" in text
    assert text.rstrip().endswith("FAILED (errors, rollback): exit code 10")
    paths = write_reports(_report(spec), tmp_path)
    assert json.loads(paths["json"].read_text())["exit_code"] == 10
    assert paths["junit"].read_bytes().startswith(b"<?xml")


def test_the_ci_profile_fits_in_its_time_budget() -> None:
    (scenario,) = PROFILES["ci"].scenarios
    assert scenario.seconds <= 90  # plus about 30 s to start the app, seed accounts and write reports
