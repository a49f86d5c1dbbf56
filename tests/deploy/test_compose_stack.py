"""`deploy/compose.yaml` is a valid Compose file that wires the whole observable stack together."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from telemetry import conventions as c
from tests.deploy.conftest import DEPLOY, ROOT, compose_command, tool

COMPOSE_FILE = DEPLOY / "compose.yaml"
APP_SERVICES = {"api", "mcp", "migrate", "fake-gemini"}
EXPECTED_SERVICES = APP_SERVICES | {
    "postgres",
    "redis",
    "prometheus",
    "alertmanager",
    "grafana",
    "otel-collector",
    "tempo",
}


def compose(*args: str, file: Path = COMPOSE_FILE) -> subprocess.CompletedProcess[str]:
    # A clean environment: the file's defaults, not this machine's settings, are under test.
    env = {"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", "/tmp")}
    return subprocess.run(
        [*compose_command(), "-f", str(file), *args], capture_output=True, text=True, timeout=60, env=env, check=False
    )


@pytest.fixture(scope="module")
def stack() -> dict[str, Any]:
    """The Compose model after interpolation, as `docker compose config` resolves it."""
    result = compose("config", "--format", "json")
    assert result.returncode == 0, result.stderr
    model: dict[str, Any] = json.loads(result.stdout)
    return model


def container_path(service: dict[str, Any], host_path: Path) -> str:
    """Where a bind-mounted host path appears inside a service's container."""
    for volume in service.get("volumes", []):
        if volume["type"] == "bind" and Path(volume["source"]) == host_path.resolve():
            return str(volume["target"])
    raise AssertionError(f"{host_path} is not mounted")


def test_docker_compose_accepts_the_file() -> None:
    result = compose("config", "--quiet")
    assert result.returncode == 0, result.stderr


def test_docker_compose_rejects_a_broken_file(tmp_path: Path) -> None:
    broken = tmp_path / "compose.yaml"
    text = COMPOSE_FILE.read_text().replace("condition: service_completed_successfully", "condition: finished", 1)
    broken.write_text(text)
    assert compose("config", "--quiet", file=broken).returncode != 0


def test_the_stack_runs_every_part_of_the_product(stack: dict[str, Any]) -> None:
    assert set(stack["services"]) == EXPECTED_SERVICES


def test_the_app_starts_only_after_migrations_and_reports_health(stack: dict[str, Any]) -> None:
    services = stack["services"]
    migrate = services["migrate"]
    assert migrate["command"] == ["todochat", "migrate"]
    assert migrate["restart"] == "no"
    assert migrate["depends_on"]["postgres"]["condition"] == "service_healthy"
    for name in ("api", "mcp"):
        assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
        assert "/health/ready" in " ".join(services[name]["healthcheck"]["test"])
    for name in EXPECTED_SERVICES - {"migrate", "otel-collector", "tempo", "alertmanager"}:
        assert services[name].get("healthcheck", {}).get("test"), f"{name} has no healthcheck"


def test_the_api_talks_to_the_stacks_services(stack: dict[str, Any]) -> None:
    env = stack["services"]["api"]["environment"]
    assert env["DATABASE_URL"].startswith("postgresql://todochat:")
    assert "@postgres:5432/todochat" in env["DATABASE_URL"]
    assert env["REDIS_URL"] == "redis://redis:6379/0"
    assert env["MCP_SERVER_URL"] == "http://mcp:8001/mcp/"
    assert env["GEMINI_BASE_URL"] == "http://fake-gemini:8090"
    assert "--port 8090" in " ".join(stack["services"]["fake-gemini"]["command"])
    assert env["OTEL_EXPORTER_OTLP_ENDPOINT"] == "http://otel-collector:4318"
    assert env["OTEL_SERVICE_NAME"] == c.SERVICE_NAME
    mcp = stack["services"]["mcp"]["environment"]
    assert mcp["OTEL_SERVICE_NAME"] == c.MCP_SERVICE_NAME
    # The MCP server's DNS-rebinding protection admits only the host named in its own MCP_SERVER_URL.
    assert mcp["MCP_SERVER_URL"] == env["MCP_SERVER_URL"]


def test_app_containers_are_hardened_and_ports_stay_on_loopback(stack: dict[str, Any]) -> None:
    for name in APP_SERVICES:
        service = stack["services"][name]
        assert service["read_only"] is True
        assert service["cap_drop"] == ["ALL"]
    for name, service in stack["services"].items():
        for port in service.get("ports", []):
            assert port["host_ip"] == "127.0.0.1", f"{name} publishes {port['target']} beyond this machine"


def test_every_mounted_config_file_exists(stack: dict[str, Any]) -> None:
    for name, service in stack["services"].items():
        for volume in service.get("volumes", []):
            if volume["type"] == "bind":
                assert Path(volume["source"]).exists(), f"{name} mounts missing {volume['source']}"


def test_prometheus_loads_the_generated_alert_rules(stack: dict[str, Any], tmp_path: Path) -> None:
    prometheus = stack["services"]["prometheus"]
    config_in_container = Path(container_path(prometheus, DEPLOY / "prometheus" / "prometheus.yml"))
    rules_in_container = Path(container_path(prometheus, ROOT / "alerts"))
    config = yaml.safe_load((DEPLOY / "prometheus" / "prometheus.yml").read_text())
    assert config["rule_files"] == [f"{rules_in_container.relative_to(config_in_container.parent)}/*.yaml"]
    # Lay the files out as the container sees them, then let promtool load the config and every rule file.
    shutil.copy(DEPLOY / "prometheus" / "prometheus.yml", tmp_path / "prometheus.yml")
    (tmp_path / rules_in_container.relative_to(config_in_container.parent)).symlink_to(ROOT / "alerts")
    result = subprocess.run(
        [tool("promtool"), "check", "config", str(tmp_path / "prometheus.yml")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    expected = sorted((ROOT / "alerts").glob("*.yaml"))
    assert expected, "alerts/ holds no generated rule files"
    for rule_file in expected:
        assert f"rules/{rule_file.name}" in result.stdout + result.stderr


def test_prometheus_scrapes_the_app_and_alerts_through_alertmanager(stack: dict[str, Any]) -> None:
    config = yaml.safe_load((DEPLOY / "prometheus" / "prometheus.yml").read_text())
    targets = {
        job["job_name"]: target
        for job in config["scrape_configs"]
        for static in job["static_configs"]
        for target in static["targets"]
    }
    assert targets[c.SERVICE_NAME] == "api:8000"
    assert targets[c.MCP_SERVICE_NAME] == "mcp:8001"
    alertmanagers = config["alerting"]["alertmanagers"][0]["static_configs"][0]["targets"]
    assert alertmanagers == ["alertmanager:9093"]
    alertmanager = stack["services"]["alertmanager"]
    assert container_path(alertmanager, ROOT / "alerts" / "alertmanager.yml") == "/etc/alertmanager/alertmanager.yml"


def test_grafana_is_provisioned_with_the_stacks_datasources_and_our_dashboards(stack: dict[str, Any]) -> None:
    grafana = stack["services"]["grafana"]
    provisioning = ROOT / "dashboards" / "provisioning"
    assert container_path(grafana, provisioning) == "/etc/grafana/provisioning"
    datasources = yaml.safe_load((provisioning / "datasources" / "todochat.yaml").read_text())["datasources"]
    published = {"prometheus": "http://prometheus:9090", "tempo": f"http://tempo:{tempo_http_port()}"}
    assert {d["type"]: d["url"] for d in datasources} == published
    for url in published.values():
        assert url.removeprefix("http://").split(":")[0] in stack["services"]
    provider = yaml.safe_load((provisioning / "dashboards" / "todochat.yaml").read_text())["providers"][0]
    assert provider["options"]["path"] == container_path(grafana, ROOT / "dashboards" / "grafana")
    assert list((ROOT / "dashboards" / "grafana").glob("*.json")), "no generated dashboard to load"


def tempo_http_port() -> int:
    port: int = yaml.safe_load((DEPLOY / "tempo" / "tempo.yaml").read_text())["server"]["http_listen_port"]
    return port


def test_traces_flow_from_the_app_through_the_collector_to_tempo(stack: dict[str, Any]) -> None:
    collector = stack["services"]["otel-collector"]
    path = container_path(collector, DEPLOY / "otel-collector" / "config.yaml")
    assert f"--config={path}" in collector["command"]
    config = yaml.safe_load((DEPLOY / "otel-collector" / "config.yaml").read_text())
    assert config["receivers"]["otlp"]["protocols"]["http"]["endpoint"].endswith(":4318")
    for name, pipeline in config["service"]["pipelines"].items():
        for section in ("receivers", "processors", "exporters"):
            for component in pipeline[section]:
                assert component in config[section], f"pipeline {name} uses undefined {section} {component}"
    assert config["service"]["pipelines"]["traces"]["exporters"] == ["otlp/tempo"]
    tempo = yaml.safe_load((DEPLOY / "tempo" / "tempo.yaml").read_text())
    tempo_grpc = tempo["distributor"]["receivers"]["otlp"]["protocols"]["grpc"]["endpoint"]
    assert config["exporters"]["otlp/tempo"]["endpoint"] == f"tempo:{tempo_grpc.rsplit(':', 1)[1]}"
    assert container_path(stack["services"]["tempo"], DEPLOY / "tempo" / "tempo.yaml") in " ".join(
        stack["services"]["tempo"]["command"]
    )
