"""The committed dashboards are what the builder makes from the spec, and they follow the spec when it changes."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import yaml
from opentelemetry import trace
from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags
from typer.testing import CliRunner

from app.cli import cli
from dashboards import DASHBOARDS_SUBDIR, PACKAGE_DIR
from dashboards.board import Board
from dashboards.datasources import TRACES_UID, datasources_document
from dashboards.promql import EXEMPLAR_TRACE_ID, SLO_VAR
from dashboards.render import boards, generated_files
from slo import DEFAULT_SPEC_PATH
from slo.load import spec_from_text
from slo.model import GaugeIndicator, Spec
from telemetry.metrics import trace_exemplar

SCHEMA_VERSION = 41  # Grafana 11.6 / 12


def test_committed_dashboards_equal_what_the_builder_makes_now(spec: Spec) -> None:
    files = generated_files(spec)
    for rel, text in files.items():
        path = PACKAGE_DIR / rel
        assert path.is_file(), f"{rel} is missing: run `todochat dashboards build`"
        assert path.read_text(encoding="utf-8") == text, f"{rel} is out of date: run `todochat dashboards build`"
    on_disk = {f"{DASHBOARDS_SUBDIR}/{p.name}" for p in (PACKAGE_DIR / DASHBOARDS_SUBDIR).glob("*.json")}
    assert on_disk == {rel for rel in files if rel.endswith(".json")}


def test_build_writes_every_file_and_check_notices_a_hand_edit(tmp_path: Path) -> None:
    runner = CliRunner()
    built = runner.invoke(cli, ["dashboards", "build", "--out", str(tmp_path)])
    assert built.exit_code == 0, built.output
    written = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file())
    assert written == [
        "grafana/capacity.json",
        "grafana/chat-and-ai.json",
        "grafana/service-overview.json",
        "grafana/slos-and-error-budgets.json",
        "provisioning/dashboards/todochat.yaml",
        "provisioning/datasources/todochat.yaml",
    ]
    assert runner.invoke(cli, ["dashboards", "build", "--out", str(tmp_path), "--check"]).exit_code == 0

    edited = tmp_path / "grafana" / "capacity.json"
    edited.write_text(edited.read_text().replace("CPU", "Processor", 1))
    (tmp_path / "grafana" / "old.json").write_text("{}")
    stale = runner.invoke(cli, ["dashboards", "build", "--out", str(tmp_path), "--check"])
    assert stale.exit_code == 1
    assert "capacity.json" in stale.output
    assert "old.json" in stale.output

    assert runner.invoke(cli, ["dashboards", "build", "--out", str(tmp_path)]).exit_code == 0
    assert not (tmp_path / "grafana" / "old.json").exists()


def test_an_invalid_spec_is_refused_with_the_reason(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("apiVersion: slo.todochat/v1\nkind: ServiceLevelObjectives\nservice: x\nslos: []\n")
    result = CliRunner().invoke(cli, ["dashboards", "build", "--spec", str(bad), "--out", str(tmp_path / "out")])
    assert result.exit_code == 65
    assert not (tmp_path / "out").exists()


def test_dashboards_use_the_current_schema_and_unique_uids(built: list[Board]) -> None:
    documents = [b.document() for b in built]
    assert {d["schemaVersion"] for d in documents} == {SCHEMA_VERSION}
    assert len({d["uid"] for d in documents}) == len(documents) == 4


def test_every_alert_links_to_a_generated_dashboard_that_selects_its_slo(spec: Spec, built: list[Board]) -> None:
    by_uid = {b.uid: b.document() for b in built}
    spend = [(spec.spend.name, spec.spend.dashboard_url)] if spec.spend is not None else []
    for name, url in (
        [(s.name, s.dashboard_url) for s in spec.slos] + [(t.name, t.dashboard_url) for t in spec.rollback] + spend
    ):
        parsed = urlparse(url)
        uid = parsed.path.split("/")[2]
        assert uid in by_uid, f"{name} links to {url}, which no generated dashboard answers"
        (variable,) = [v for v in by_uid[uid]["templating"]["list"] if v["name"] == SLO_VAR]
        assert parse_qs(parsed.query)[f"var-{SLO_VAR}"] == [name]
        assert name in variable["query"].split(",")


def _panels(document: dict[str, object]) -> list[dict[str, object]]:
    panels = document["panels"]
    assert isinstance(panels, list)
    return panels


def _thresholds(panel: dict[str, object]) -> list[float]:
    steps = panel["fieldConfig"]["defaults"]["thresholds"]["steps"]  # type: ignore[index]  # JSON model
    return [s["value"] for s in steps if s["value"] is not None]


def _panel(document: dict[str, object], title: str, after_row: str | None = None) -> dict[str, object]:
    row = None
    for panel in _panels(document):
        if panel["type"] == "row":
            row = panel["title"]
        elif panel["title"] == title and (after_row is None or row == after_row):
            return panel
    raise AssertionError(f"no panel {title!r} (row {after_row!r})")


def test_thresholds_and_rows_follow_the_spec(spec: Spec) -> None:
    doc = yaml.safe_load(DEFAULT_SPEC_PATH.read_text())
    doc["scaling"]["cpu"] = 0.55
    doc["scaling"]["requestsPerSecond"] = 750
    doc["slos"][0]["target"] = 0.995
    doc["slos"].append(
        {
            "name": "task-writes",
            "description": "Task writes that succeed.",
            "target": 0.98,
            "indicator": {
                "ratio": {"metric": "http_server_request_duration_seconds", "bad": {"http_status_class": "5xx"}}
            },
        }
    )
    changed = spec_from_text(yaml.safe_dump(doc), "changed.yaml")
    service, slos, _, capacity = (b.document() for b in boards(changed))

    assert _thresholds(_panel(capacity, "CPU")) == [0.55]
    assert _thresholds(_panel(capacity, "Requests/s")) == [750]
    first = changed.slos[0]
    assert _thresholds(_panel(slos, "SLI against objective", f"{first.name}: {first.description}")) == [0.995]
    assert any(p["title"] == "task-writes: Task writes that succeed." for p in _panels(slos))
    assert round(_thresholds(_panel(service, "Error ratio"))[0], 9) == 0.005  # the new error budget
    # The packaged spec still draws its own numbers.
    original = boards(spec)[3].document()
    assert _thresholds(_panel(original, "CPU")) == [spec.scaling.cpu_ratio if spec.scaling else -1]


def test_latency_panels_show_exemplars_linked_to_the_trace_datasource(built: list[Board]) -> None:
    latency = 0
    for b in built:
        for panel in _panels(b.document()):
            for target in panel.get("targets") or []:  # type: ignore[attr-defined]  # JSON model
                if panel["type"] == "timeseries" and target["expr"].startswith("histogram_quantile"):
                    raw = "slo:" not in target["expr"]  # recording rules carry no exemplars
                    assert bool(target.get("exemplar")) is raw, (b.title, panel["title"])
                    latency += raw
    assert latency >= 8
    (prometheus,) = [d for d in datasources_document()["datasources"] if d["type"] == "prometheus"]
    (traces,) = [d for d in datasources_document()["datasources"] if d["uid"] == TRACES_UID]
    destinations = prometheus["jsonData"]["exemplarTraceIdDestinations"]
    assert destinations == [{"name": EXEMPLAR_TRACE_ID, "datasourceUid": traces["uid"]}]
    # The label name the datasource looks for is the one telemetry writes on every latency exemplar.
    context = SpanContext(trace_id=0xABC, span_id=0xDEF, is_remote=False, trace_flags=TraceFlags(TraceFlags.SAMPLED))
    with trace.use_span(NonRecordingSpan(context)):
        exemplar = trace_exemplar()
    assert exemplar is not None
    assert exemplar[EXEMPLAR_TRACE_ID] == format(0xABC, "032x")


def test_panels_fit_the_grid_without_overlapping(built: list[Board]) -> None:
    for b in built:
        taken: set[tuple[int, int]] = set()
        for panel in _panels(b.document()):
            pos = panel["gridPos"]
            assert isinstance(pos, dict)
            assert pos["x"] + pos["w"] <= 24, (b.title, panel["title"])
            cells = {(x, y) for x in range(pos["x"], pos["x"] + pos["w"]) for y in range(pos["y"], pos["y"] + pos["h"])}
            assert not cells & taken, (b.title, panel["title"])
            taken |= cells


def test_provisioning_files_name_the_datasources_the_dashboards_query(built: list[Board]) -> None:
    provisioned = yaml.safe_load((PACKAGE_DIR / "provisioning/datasources/todochat.yaml").read_text())
    uids = {d["uid"] for d in provisioned["datasources"]}
    used = set()
    for b in built:
        text = json.dumps(b.document())
        used |= {uid for uid in uids if f'"uid": "{uid}"' in text}
        for panel in _panels(b.document()):
            if panel["type"] != "row":
                assert panel["datasource"]["uid"] in uids  # type: ignore[index]  # JSON model
    assert "prometheus" in used
    provider = yaml.safe_load((PACKAGE_DIR / "provisioning/dashboards/todochat.yaml").read_text())
    assert provider["providers"][0]["type"] == "file"


def test_every_event_slo_shows_its_time_to_exhaustion_against_the_policy_horizon(spec: Spec) -> None:
    doc = yaml.safe_load(DEFAULT_SPEC_PATH.read_text())
    doc["policy"]["exhaustion"]["horizon"] = "48h"
    changed = spec_from_text(yaml.safe_dump(doc), "changed.yaml")
    slos = boards(changed)[1].document()
    for slo in changed.slos:
        if isinstance(slo.indicator, GaugeIndicator):
            continue
        panel = _panel(slos, "Time to exhaustion", f"{slo.name}: {slo.description}")
        assert _thresholds(panel) == [48 * 3600]
        assert panel["targets"][0]["expr"] == f'slo:error_budget_exhaustion_seconds{{slo="{slo.name}"}}'  # type: ignore[index]  # JSON
    assert _thresholds(_panel(slos, "Time to error budget exhaustion", "Summary")) == [48 * 3600]
    del doc["policy"]
    without = boards(spec_from_text(yaml.safe_dump(doc), "no-policy.yaml"))[1].document()
    assert not [p for p in _panels(without) if "exhaustion" in str(p["title"])]
