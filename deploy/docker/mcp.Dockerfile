# syntax=docker/dockerfile:1.7
# The MCP server on its own (streamable HTTP on port 8001), for deployments that scale it apart from the API.
# Build from the repository root:
#   docker build -f deploy/docker/mcp.Dockerfile -t todochat-mcp .

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS python-build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    UV_PROJECT_ENVIRONMENT=/opt/venv \
    UV_PYTHON_DOWNLOADS=never \
    UV_LINK_MODE=copy \
    UV_NO_CACHE=1
# uv (the version the Makefile pins) stays in this stage: it reads uv.lock, and the runtime copies only /opt/venv.
RUN pip install uv==0.13.8 \
    && python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /app
COPY pyproject.toml uv.lock README.md ./
# The locked server dependencies alone (no extras, no dev tools), so that a source change does not reinstall them.
RUN uv sync --locked --no-dev --no-install-project
COPY alembic.ini ./
COPY migrations/ migrations/
COPY app/ app/
COPY telemetry/ telemetry/
COPY slo/ slo/
COPY alerts/ alerts/
COPY dashboards/ dashboards/
COPY loadtests/ loadtests/
RUN uv sync --locked --no-dev \
    && python -m compileall -q /app /opt/venv/lib

FROM ${PYTHON_IMAGE} AS runtime
LABEL org.opencontainers.image.title="todochat-mcp" \
      org.opencontainers.image.description="Todo AI Chatbot: the MCP task-tool server"
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    APP_ENV=production \
    LOG_LEVEL=INFO
RUN groupadd --system --gid 10001 todochat \
    && useradd --system --uid 10001 --gid todochat --no-create-home --home-dir /app --shell /usr/sbin/nologin todochat
COPY --from=python-build /opt/venv /opt/venv
COPY --from=python-build /app /app
WORKDIR /app
USER 10001:10001
EXPOSE 8001
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
  CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8001/health', timeout=4).status != 200)"]
CMD ["todochat", "mcp", "--host", "0.0.0.0", "--port", "8001"]
