"""The images are multi-stage, small, non-root and pinned; hadolint finds nothing in them."""

from __future__ import annotations

import fnmatch
import re
import shlex
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import typer

from app.cli import cli
from app.main import DEFAULT_FRONTEND_DIR
from tests.deploy.conftest import DEPLOY, ROOT, tool

DOCKERFILES = {"api": DEPLOY / "docker" / "api.Dockerfile", "mcp": DEPLOY / "docker" / "mcp.Dockerfile"}
PORTS = {"api": 8000, "mcp": 8001}


@dataclass
class Stage:
    base: str
    name: str | None
    instructions: list[tuple[str, str]] = field(default_factory=list)

    def all(self, keyword: str) -> list[str]:
        return [args for kw, args in self.instructions if kw == keyword]


def parse(path: Path) -> list[Stage]:
    """Stages of a Dockerfile with line continuations joined and global ARG defaults substituted into FROM."""
    text = re.sub(r"\\\n", " ", path.read_text())
    args: dict[str, str] = {}
    stages: list[Stage] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        keyword, _, rest = line.partition(" ")
        keyword = keyword.upper()
        if keyword == "ARG" and not stages and "=" in rest:
            name, _, default = rest.partition("=")
            args[name.strip()] = default.strip()
        elif keyword == "FROM":
            parts = rest.split()
            base = re.sub(r"\$\{(\w+)\}", lambda m: args[m.group(1)], parts[0])
            name = parts[2] if len(parts) == 3 and parts[1].upper() == "AS" else None
            stages.append(Stage(base, name))
        elif stages:
            stages[-1].instructions.append((keyword, rest.strip()))
    return stages


def exec_form(args: str) -> list[str]:
    words = re.findall(r'"((?:[^"\\]|\\.)*)"', args)
    assert args.startswith("["), f"use the exec form so signals reach the process: {args}"
    return words


def cli_accepts(words: list[str]) -> None:
    """Fail unless `words` (starting with `todochat`) name a CLI command and only its options."""
    assert words[0] == "todochat"
    command = typer.main.get_command(cli)
    rest = words[1:]
    while rest and hasattr(command, "commands") and rest[0] in command.commands:  # groups: `loadtest gate`
        command = command.commands[rest.pop(0)]
    assert not hasattr(command, "commands"), f"`{' '.join(words)}` names no command"
    options = {opt for param in command.params for opt in (*param.opts, *param.secondary_opts)}
    for word in rest:
        if word.startswith("--"):
            assert word.split("=")[0] in options, f"`{' '.join(words)}`: {word} is not an option"


@pytest.mark.parametrize("image", sorted(DOCKERFILES))
def test_hadolint_finds_nothing(image: str) -> None:
    result = subprocess.run(
        [tool("hadolint"), "--failure-threshold", "info", str(DOCKERFILES[image])],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_hadolint_flags_an_unpinned_root_image(tmp_path: Path) -> None:
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python:latest\nRUN apt-get update && apt-get install -y curl\nCMD python\n")
    result = subprocess.run([tool("hadolint"), str(bad)], capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode != 0
    assert "DL3007" in result.stdout


@pytest.mark.parametrize("image", sorted(DOCKERFILES))
def test_the_image_is_multi_stage_pinned_and_runs_as_a_fixed_non_root_user(image: str) -> None:
    stages = parse(DOCKERFILES[image])
    assert len(stages) >= 2
    for stage in stages:
        _repository, _, tag = stage.base.partition(":")
        assert tag, f"{stage.base} is not pinned to a tag"
        assert tag != "latest", f"{stage.base} is not pinned to a tag"
        assert re.search(r"\d", tag), f"{stage.base}: pin a version, not a moving name"
    runtime = stages[-1]
    user = runtime.all("USER")
    assert len(user) == 1
    uid, _, gid = user[0].partition(":")
    assert uid.isdigit(), "a numeric uid lets Kubernetes verify runAsNonRoot"
    assert int(uid) > 0
    assert gid.isdigit()
    assert int(gid) > 0
    assert not any("--from" not in args for args in runtime.all("COPY")), "the runtime copies only build results"
    assert not [s for s in stages for _ in s.all("ADD")], "use COPY; ADD fetches URLs and unpacks archives"
    assert f"EXPOSE {PORTS[image]}" in [f"EXPOSE {p}" for p in runtime.all("EXPOSE")]


@pytest.mark.parametrize("image", sorted(DOCKERFILES))
def test_the_image_checks_its_own_health_and_starts_a_real_cli_command(image: str) -> None:
    runtime = parse(DOCKERFILES[image])[-1]
    (healthcheck,) = runtime.all("HEALTHCHECK")
    assert f"http://127.0.0.1:{PORTS[image]}/health" in healthcheck
    (cmd,) = runtime.all("CMD")
    words = exec_form(cmd)
    cli_accepts(words)
    assert words[words.index("--port") + 1] == str(PORTS[image])
    assert words[words.index("--host") + 1] == "0.0.0.0"


def test_the_api_image_serves_the_frontend_built_in_a_node_stage() -> None:
    stages = parse(DOCKERFILES["api"])
    node = next(s for s in stages if s.name == "frontend")
    assert node.base.startswith("node:")
    runs = " ".join(node.all("RUN"))
    assert "npm ci" in runs
    assert "npm run build" in runs
    target = f"/app/{DEFAULT_FRONTEND_DIR.relative_to(ROOT)}"
    assert f"--from=frontend /frontend/out {target}" in stages[-1].all("COPY")


@pytest.mark.parametrize("image", sorted(DOCKERFILES))
def test_every_file_the_build_copies_exists_and_reaches_the_build_context(image: str) -> None:
    ignored = [
        line.strip().rstrip("/")
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    for stage in parse(DOCKERFILES[image]):
        for args in stage.all("COPY"):
            if args.startswith("--from"):
                continue
            *sources, _ = shlex.split(args)
            for source in sources:
                assert (ROOT / source).exists(), f"{image}: COPY {source} names a missing path"
                top = source.rstrip("/")
                assert not any(fnmatch.fnmatch(top, pattern) for pattern in ignored), f"{source} is dockerignored"


def test_the_build_context_leaves_out_local_state() -> None:
    ignored = {line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()}
    assert {".git", ".venv", ".env", "frontend/node_modules", "**/*.db"} <= ignored
