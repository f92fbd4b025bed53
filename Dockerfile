# syntax=docker/dockerfile:1
# latticegw controller image.
#
#   docker build -t latticegw:0.1.0 .
#
# Two stages: `build` installs latticegw and its dependencies, pinned by constraints.txt (the lock
# `make test` uses), into a virtualenv; the runtime stage copies only that virtualenv onto the
# same slim Python base. The process runs as an unprivileged numeric user and writes nothing
# outside /tmp (declared as a volume), so it runs with readOnlyRootFilesystem: bytecode is
# compiled at build time and Python is told not to write more.
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1
WORKDIR /src
RUN python -m venv /opt/latticegw
# Dependencies first (a layer that changes only when the lock or the dependency list does), then
# the code. The dependency list is read from pyproject.toml, the versions from constraints.txt.
COPY pyproject.toml constraints.txt README.md ./
RUN /opt/latticegw/bin/python -c "import tomllib; print(*tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies'], sep='\\n')" > requirements.txt \
 && /opt/latticegw/bin/pip install --constraint constraints.txt --requirement requirements.txt
COPY controller/ controller/
COPY translate/ translate/
COPY lattice/ lattice/
RUN /opt/latticegw/bin/pip install --constraint constraints.txt --no-deps . \
 && /opt/latticegw/bin/pip check \
 && /opt/latticegw/bin/python -m compileall -q /opt/latticegw \
 && /opt/latticegw/bin/latticegw version

FROM ${PYTHON_IMAGE} AS runtime
ARG VERSION=0.1.0
ARG REVISION=unknown
LABEL org.opencontainers.image.title="latticegw" \
      org.opencontainers.image.description="Kubernetes Gateway API controller for Amazon VPC Lattice" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.source="https://github.com/latticegw/latticegw" \
      org.opencontainers.image.documentation="https://github.com/latticegw/latticegw/tree/main/docs"
COPY --from=build /opt/latticegw /opt/latticegw
ENV PATH=/opt/latticegw/bin:$PATH \
    LATTICEGW_COMMIT=${REVISION} \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HOME=/tmp \
    TMPDIR=/tmp \
    LATTICEGW_QUEUE_STORE=sqlite:/tmp/latticegw-queue.sqlite3
# 65532: the conventional "nonroot" uid/gid; no shell login, no home outside /tmp.
USER 65532:65532
WORKDIR /tmp
VOLUME ["/tmp"]
# metrics, health probes (the status page stays on loopback)
EXPOSE 8080 8081
ENTRYPOINT ["/opt/latticegw/bin/latticegw"]
CMD ["run"]
