# syntax=docker/dockerfile:1.7
# The API image: the FastAPI app serving the built web UI, the MCP server at /mcp/ and the CLI.
# Build from the repository root:
#   docker build -f deploy/docker/api.Dockerfile -t todochat-api .

ARG PYTHON_IMAGE=python:3.11-slim-bookworm
ARG NODE_IMAGE=node:20-bookworm-slim

# --- 1. the Next.js static export -> /frontend/out ---
FROM ${NODE_IMAGE} AS frontend
WORKDIR /frontend
ENV NEXT_TELEMETRY_DISABLED=1
# The UI talks to the API on its own origin unless told otherwise at build time.
ARG NEXT_PUBLIC_BACKEND_API_URL=""
ARG NEXT_PUBLIC_APP_ENV=production
ARG NEXT_PUBLIC_SENTRY_DSN=""
# Browser tracing is off unless an OTLP/HTTP traces URL is given (the collector's, reachable from browsers).
ARG NEXT_PUBLIC_OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=""
ARG NEXT_PUBLIC_OTEL_TRACES_SAMPLER_ARG=0.1
ENV NEXT_PUBLIC_BACKEND_API_URL=${NEXT_PUBLIC_BACKEND_API_URL} \
    NEXT_PUBLIC_APP_ENV=${NEXT_PUBLIC_APP_ENV} \
    NEXT_PUBLIC_SENTRY_DSN=${NEXT_PUBLIC_SENTRY_DSN} \
    NEXT_PUBLIC_OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=${NEXT_PUBLIC_OTEL_EXPORTER_OTLP_TRACES_ENDPOINT} \
    NEXT_PUBLIC_OTEL_TRACES_SAMPLER_ARG=${NEXT_PUBLIC_OTEL_TRACES_SAMPLER_ARG}
COPY frontend/package.json frontend/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY frontend/ ./
RUN npm run build

# --- 2. the Python virtualenv: dependencies first (cached), then the project ---
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
# Editable install: the CLI finds alembic.ini and migrations/ beside the packages in /app.
RUN uv sync --locked --no-dev \
    && python -m compileall -q /app /opt/venv/lib

# --- 3. runtime: no compilers, no package manager caches, a fixed non-root user ---
FROM ${PYTHON_IMAGE} AS runtime
LABEL org.opencontainers.image.title="todochat-api" \
      org.opencontainers.image.description="Todo AI Chatbot: API, web UI and MCP server"
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    APP_ENV=production \
    LOG_LEVEL=INFO
RUN groupadd --system --gid 10001 todochat \
    && useradd --system --uid 10001 --gid todochat --no-create-home --home-dir /app --shell /usr/sbin/nologin todochat
COPY --from=python-build /opt/venv /opt/venv
COPY --from=python-build /app /app
COPY --from=frontend /frontend/out /app/frontend/out
WORKDIR /app
USER 10001:10001
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
  CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=4).status != 200)"]
# Migrations run as their own step (`todochat migrate`: a Job in Kubernetes, a one-shot service in Compose).
CMD ["todochat", "serve", "--host", "0.0.0.0", "--port", "8000", "--no-migrate"]
