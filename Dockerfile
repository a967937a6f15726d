# syntax=docker/dockerfile:1
# One image for all five Grid+ services and the staff console. They share the platform kit (services/gridplus/kit), the
# generated gRPC code and one pinned dependency set, so a single build is tested once, cached once
# and shipped once; the chart picks the service per Deployment with
# `python -m gridplus.<package> serve` (or `migrate` in the hook Job).
#
# Build: docker build -t gridplus:0.1.0 .   (generated protobuf code must be present in services/)

# Both stages use the same base so the venv's interpreter path (/usr/local/bin/python3.11) matches.
# Pinned by tag and digest: the tag says what it is, the digest makes a rebuild byte-identical at
# the base. The digest is the python:3.11.14-slim-trixie index as recorded in public Dockerfiles;
# no registry is reachable from the machines this was written on, so check it once where one is
# (`docker buildx imagetools inspect python:3.11.14-slim-trixie`) and update both together.
ARG PYTHON_IMAGE=python:3.11.14-slim-trixie@sha256:193fdd0bbcb3d2ae612bd6cc3548d2f7c78d65b549fcaa8af75624c47474444d

# ---- builder: compilers allowed here, never in the final image ----------------------------------
FROM ${PYTHON_IMAGE} AS builder
# Unpinned on purpose: the compilers only build wheels missing for this platform; they are not shipped.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential \
    && rm -rf /var/lib/apt/lists/*
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
WORKDIR /src
# Dependencies first, from pyproject.toml's pinned list alone, so code changes reuse this layer.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > requirements.txt \
    && /opt/venv/bin/pip install -r requirements.txt
# The browser libraries the pages load (Leaflet, ECharts), fetched from the npm registry and checked
# against their pinned integrity hashes (tools/web-vendor.json), never taken from the build
# context; axe-core is for the tests only and is not shipped.
COPY tools/__init__.py tools/web_vendor.py tools/web-vendor.json ./tools/
RUN python -m tools.web_vendor \
    && test -f services/gridplus/web/vendor/leaflet/.version \
    && test -f services/gridplus/web/vendor/echarts/.version \
    && rm -rf services/gridplus/web/vendor/axe-core

# ---- final: interpreter, venv, code and data; no build tools -----------------------------------
FROM ${PYTHON_IMAGE}
LABEL org.opencontainers.image.title="gridplus" \
      org.opencontainers.image.description="Grid+ services: grid-registry, petition, dispatch, notification, evaluation; the staff console" \
      org.opencontainers.image.licenses="Apache-2.0"
RUN groupadd --system --gid 10001 gridplus \
    && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /app \
        --shell /usr/sbin/nologin gridplus
COPY --from=builder /opt/venv /opt/venv
WORKDIR /app
# The code runs from source (PYTHONPATH) rather than as an installed wheel, so everything under
# services/ (alembic scripts, templates, static files) ships without package-data bookkeeping.
COPY services/ ./services/
COPY --from=builder /src/services/gridplus/web/vendor/ ./services/gridplus/web/vendor/
COPY data/ ./data/
# Bytecode compiled at build time: the root filesystem is read-only at run time.
RUN /opt/venv/bin/python -m compileall -q services \
    && mkdir -p /app/var \
    && chown 10001:10001 /app/var
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONPATH=/app/services \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    GRIDPLUS_VAR_DIR=/app/var
USER 10001:10001
# Python is PID 1 here: the kit's runner installs the SIGTERM handler that drains and exits.
ENTRYPOINT ["python", "-m"]
CMD ["gridplus.petition", "serve"]
