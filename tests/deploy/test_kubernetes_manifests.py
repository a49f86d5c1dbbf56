"""The Kustomize overlays render, validate against the Kubernetes schemas, and say what the product needs."""

from __future__ import annotations

import copy
from pathlib import Path

import kubernetes_validate
import pytest
import yaml
from starlette.routing import Route

from app.main import create_app
from app.mcp.app import create_mcp_app
from tests.conftest import make_settings
from tests.deploy.conftest import K8S, OVERLAYS, Manifest, container, find

# The oldest release the manifests support (sleep preStop hooks are on by default from 1.30) and the newest the
# validator knows.
KUBERNETES_VERSIONS = ("1.30.0", kubernetes_validate.latest_version())
# Argo Rollouts kinds are custom resources: the validator ships no schema for them, so test_canary_* checks
# their structure field by field instead.
CUSTOM_RESOURCE_GROUPS = ("argoproj.io/",)
WORKLOADS = {"todochat-api": "api", "todochat-mcp": "mcp"}
SECRET_NAME = "todochat-secrets"


def validate(manifest: Manifest, version: str) -> None:
    kubernetes_validate.validate(manifest, version, strict=True)


def served_paths(name: str, tmp_path: Path) -> set[str]:
    """The HTTP paths the process behind a workload answers."""
    settings = make_settings(f"sqlite+aiosqlite:///{tmp_path}/probe.db")
    if name == "todochat-api":
        return set(create_app(settings).openapi()["paths"])
    return {route.path for route in create_mcp_app(settings).routes if isinstance(route, Route)}


@pytest.mark.parametrize("env", OVERLAYS)
@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_each_overlay_validates_against_the_kubernetes_schemas(
    rendered: dict[str, list[Manifest]], env: str, version: str
) -> None:
    checked = 0
    for manifest in rendered[env]:
        if manifest["apiVersion"].startswith(CUSTOM_RESOURCE_GROUPS):
            continue
        try:
            validate(manifest, version)
        except kubernetes_validate.ValidationError as err:
            pytest.fail(f"{env}: {manifest['kind']}/{manifest['metadata']['name']}: {err.message} at {err.path}")
        checked += 1
    assert checked >= 15


def test_only_argo_rollouts_resources_are_left_out_of_schema_validation(production: list[Manifest]) -> None:
    custom = {m["kind"] for m in production if m["apiVersion"].startswith(CUSTOM_RESOURCE_GROUPS)}
    assert custom == {"Rollout", "AnalysisTemplate"}


def test_the_schema_check_rejects_a_misspelt_field(production: list[Manifest]) -> None:
    broken = copy.deepcopy(find(production, "Deployment", "todochat-api"))
    broken["spec"]["template"]["spec"]["containers"][0]["readinessProbes"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        validate(broken, KUBERNETES_VERSIONS[-1])


@pytest.mark.parametrize("env", OVERLAYS)
def test_every_object_lands_in_the_overlays_namespace(rendered: dict[str, list[Manifest]], env: str) -> None:
    namespace = find(rendered[env], "Namespace", "todochat" if env == "production" else f"todochat-{env}")
    name = namespace["metadata"]["name"]
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    for manifest in rendered[env]:
        if manifest["kind"] != "Namespace":
            assert manifest["metadata"]["namespace"] == name, manifest["metadata"]["name"]


@pytest.mark.parametrize("name", sorted(WORKLOADS))
def test_probes_use_the_health_routes_the_process_serves(production: list[Manifest], name: str, tmp_path: Path) -> None:
    c = container(find(production, "Deployment", name))
    assert c["livenessProbe"]["httpGet"]["path"] == "/health"
    assert c["startupProbe"]["httpGet"]["path"] == "/health"
    assert c["readinessProbe"]["httpGet"]["path"] == "/health/ready"
    port = c["ports"][0]
    assert {c[p]["httpGet"]["port"] for p in ("livenessProbe", "readinessProbe", "startupProbe")} == {port["name"]}
    assert f"--port {port['containerPort']}" in " ".join(c["args"])
    missing = {"/health", "/health/ready"} - served_paths(name, tmp_path)
    assert not missing, f"{name} probes paths its process does not serve: {sorted(missing)}"


@pytest.mark.parametrize("env", OVERLAYS)
def test_pods_run_as_non_root_on_a_read_only_root_filesystem_with_resources(
    rendered: dict[str, list[Manifest]], env: str
) -> None:
    workloads = [m for m in rendered[env] if m["kind"] in {"Deployment", "Job"}]
    assert {m["metadata"]["name"] for m in workloads} == {"todochat-api", "todochat-mcp", "todochat-migrate"}
    for workload in workloads:
        pod = workload["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["securityContext"]["runAsUser"] > 0
        assert pod["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault"
        assert pod["automountServiceAccountToken"] is False
        c = container(workload)
        assert c["securityContext"]["readOnlyRootFilesystem"] is True
        assert c["securityContext"]["allowPrivilegeEscalation"] is False
        assert c["securityContext"]["capabilities"]["drop"] == ["ALL"]
        for bound in ("requests", "limits"):
            assert set(c["resources"][bound]) == {"cpu", "memory"}, workload["metadata"]["name"]
        mounts = {m["mountPath"] for m in c["volumeMounts"]}
        assert "/tmp" in mounts, "Python needs a writable /tmp when the root filesystem is read-only"


@pytest.mark.parametrize("env", OVERLAYS)
def test_secrets_are_referenced_from_the_cluster_and_never_committed(
    rendered: dict[str, list[Manifest]], env: str
) -> None:
    assert not [m for m in rendered[env] if m["kind"] == "Secret"]
    example = (K8S / "secrets" / "secrets.env.example").read_text()
    documented = {line.split("=", 1)[0] for line in example.splitlines() if "=" in line and not line.startswith("#")}
    referenced = set()
    for workload in (m for m in rendered[env] if m["kind"] in {"Deployment", "Job"}):
        for var in container(workload).get("env", []):
            ref = var.get("valueFrom", {}).get("secretKeyRef")
            if ref:
                assert ref["name"] == SECRET_NAME
                referenced.add(ref["key"])
    assert referenced == documented
    config = next(m for m in rendered[env] if m["kind"] == "ConfigMap")
    assert not set(config["data"]) & documented, "a secret value sits in the ConfigMap"


def _selects(policy: Manifest, name: str) -> bool:
    selector = policy["spec"]["podSelector"]
    if not selector:
        return True
    if selector.get("matchLabels", {}).get("app.kubernetes.io/name") == name:
        return True
    return any(
        e["key"] == "app.kubernetes.io/name" and e["operator"] == "In" and name in e["values"]
        for e in selector.get("matchExpressions", [])
    )


def _policies(manifests: list[Manifest]) -> list[Manifest]:
    return [m for m in manifests if m["kind"] == "NetworkPolicy"]


def test_everything_not_allowed_is_denied(production: list[Manifest]) -> None:
    deny = find(production, "NetworkPolicy", "default-deny-all")["spec"]
    assert deny["podSelector"] == {}
    assert sorted(deny["policyTypes"]) == ["Egress", "Ingress"]
    assert "ingress" not in deny
    assert "egress" not in deny


def test_only_the_api_reaches_the_mcp_server(production: list[Manifest]) -> None:
    peers = [
        peer
        for policy in _policies(production)
        if _selects(policy, "todochat-mcp")
        for rule in policy["spec"].get("ingress", [])
        for peer in rule["from"]
    ]
    in_namespace = [p for p in peers if "namespaceSelector" not in p]
    assert in_namespace == [{"podSelector": {"matchLabels": {"app.kubernetes.io/name": "todochat-api"}}}]
    # The one other peer is Prometheus scraping /metrics from the monitoring namespace.
    for peer in peers:
        if "namespaceSelector" in peer:
            assert peer["namespaceSelector"]["matchLabels"] == {"kubernetes.io/metadata.name": "monitoring"}
            assert peer["podSelector"]["matchLabels"] == {"app.kubernetes.io/name": "prometheus"}


def test_only_the_api_the_mcp_server_and_migrations_reach_the_database(production: list[Manifest]) -> None:
    allowed = set()
    for policy in _policies(production):
        for rule in policy["spec"].get("egress", []):
            if any(port["port"] == 5432 for port in rule.get("ports", [])):
                assert policy["spec"]["podSelector"], "database egress must name the pods it allows"
                allowed.add(policy["spec"]["podSelector"]["matchLabels"]["app.kubernetes.io/name"])
    assert allowed == {"todochat-api", "todochat-mcp", "todochat-migrate"}


@pytest.mark.parametrize("env", OVERLAYS)
def test_the_ingress_serves_tls_only(rendered: dict[str, list[Manifest]], env: str) -> None:
    ingress = find(rendered[env], "Ingress", "todochat")
    annotations = ingress["metadata"]["annotations"]
    assert annotations["nginx.ingress.kubernetes.io/ssl-redirect"] == "true"
    assert annotations["nginx.ingress.kubernetes.io/force-ssl-redirect"] == "true"
    hosts = {rule["host"] for rule in ingress["spec"]["rules"]}
    assert hosts == {h for tls in ingress["spec"]["tls"] for h in tls["hosts"]}
    backend = ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
    assert backend["name"] == find(rendered[env], "Service", "todochat-api")["metadata"]["name"]


def test_the_ingress_controller_allows_tls_1_2_and_up_and_sends_hsts_for_a_year() -> None:
    config = yaml.safe_load((K8S / "ingress-nginx" / "controller-config.yaml").read_text())
    validate(config, KUBERNETES_VERSIONS[-1])
    assert config["data"]["ssl-protocols"].split() == ["TLSv1.2", "TLSv1.3"]
    assert config["data"]["hsts"] == "true"
    assert int(config["data"]["hsts-max-age"]) == 365 * 24 * 3600


@pytest.mark.parametrize("env", OVERLAYS)
def test_services_and_disruption_budgets_select_the_workloads_pods(
    rendered: dict[str, list[Manifest]], env: str
) -> None:
    for name in WORKLOADS:
        labels = find(rendered[env], "Deployment", name)["spec"]["template"]["metadata"]["labels"]
        for kind in ("Service", "PodDisruptionBudget"):
            obj = find(rendered[env], kind, name)
            selector = obj["spec"]["selector"] if kind == "Service" else obj["spec"]["selector"]["matchLabels"]
            assert selector.items() <= labels.items(), f"{kind}/{name} selects no pod of its Deployment"
        pdb = find(rendered[env], "PodDisruptionBudget", name)["spec"]
        assert pdb.get("maxUnavailable") == 1 or "minAvailable" in pdb


@pytest.mark.parametrize("env", OVERLAYS)
def test_autoscalers_own_the_replica_count(rendered: dict[str, list[Manifest]], env: str) -> None:
    for name in WORKLOADS:
        assert "replicas" not in find(rendered[env], "Deployment", name)["spec"]
        hpa = find(rendered[env], "HorizontalPodAutoscaler", name)["spec"]
        assert 2 <= hpa["minReplicas"] < hpa["maxReplicas"]


@pytest.mark.parametrize("env", OVERLAYS)
def test_the_migration_job_goes_first_with_everything_it_needs(rendered: dict[str, list[Manifest]], env: str) -> None:
    job = find(rendered[env], "Job", "todochat-migrate")
    api = find(rendered[env], "Deployment", "todochat-api")
    assert container(job)["args"] == ["todochat", "migrate"]
    assert container(job)["image"] == container(api)["image"]
    assert "--no-migrate" in container(api)["args"]
    first = {
        (m["kind"], m["metadata"]["name"])
        for m in rendered[env]
        if m["metadata"].get("labels", {}).get("todochat/deploy-phase") == "pre-rollout"
    }
    kinds = {kind for kind, _ in first}
    assert kinds == {"Namespace", "ConfigMap", "ServiceAccount", "NetworkPolicy", "Job"}
    config = next(m for m in rendered[env] if m["kind"] == "ConfigMap")["metadata"]["name"]
    assert container(job)["envFrom"] == [{"configMapRef": {"name": config}}]
    assert ("NetworkPolicy", "todochat-migrate") in first


@pytest.mark.parametrize("env", OVERLAYS)
def test_the_workloads_run_this_releases_images(rendered: dict[str, list[Manifest]], env: str) -> None:
    images = {m["metadata"]["name"]: container(m)["image"] for m in rendered[env] if m["kind"] == "Deployment"}
    assert images["todochat-api"].rsplit(":", 1)[0].endswith("/todochat-api")
    assert images["todochat-mcp"].rsplit(":", 1)[0].endswith("/todochat-mcp")
    config_map = next(m for m in rendered[env] if m["kind"] == "ConfigMap")
    config = config_map["data"]
    service = find(rendered[env], "Service", "todochat-mcp")["spec"]["ports"][0]["port"]
    assert config["MCP_SERVER_URL"] == f"http://todochat-mcp:{service}/mcp/"
    # Both read it: the API to call the MCP server, the MCP server to admit that host name (DNS rebinding).
    for name in WORKLOADS:
        sources = container(find(rendered[env], "Deployment", name))["envFrom"]
        assert {"configMapRef": {"name": config_map["metadata"]["name"]}} in sources
    assert config["APP_ENV"] == env


def test_the_api_trusts_forwarded_client_addresses_because_only_the_ingress_reaches_it(
    production: list[Manifest],
) -> None:
    config = next(m for m in production if m["kind"] == "ConfigMap")["data"]
    assert config["FORWARDED_ALLOW_IPS"] == "*"
    peers = [
        peer
        for policy in _policies(production)
        if policy["spec"]["podSelector"].get("matchLabels", {}).get("app.kubernetes.io/name") == "todochat-api"
        for rule in policy["spec"].get("ingress", [])
        for peer in rule["from"]
    ]
    assert peers == [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}}}]
