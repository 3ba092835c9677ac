# ppb/executor: the executor service (`python -m orchestrator.executor`), which drives the
# host's Docker engine to run sandboxes. Built offline from the wheelhouse, like the sandbox image.
ARG BASE_IMAGE=ppb/debian-python:bookworm

FROM ${BASE_IMAGE} AS venv
COPY requirements/executor.lock /tmp/requirements.lock
COPY .cache/wheelhouse/executor /tmp/wheelhouse
RUN python3 -m venv /opt/venv \
 && /opt/venv/bin/pip install --no-cache-dir --no-index --no-deps \
      --find-links=/tmp/wheelhouse -r /tmp/requirements.lock \
 && /opt/venv/bin/pip uninstall -y -q pip

FROM ${BASE_IMAGE}
COPY --from=venv /opt/venv /opt/venv
COPY orchestrator/__init__.py /app/orchestrator/
COPY orchestrator/common /app/orchestrator/common
COPY orchestrator/executor /app/orchestrator/executor
# Only the protocol half of the sandbox's server: what the host and the sandbox agree on.
COPY executor-image/sandbox_server/__init__.py executor-image/sandbox_server/protocol.py \
     /app/sandbox_server/
ENV PATH=/opt/venv/bin:/usr/bin:/bin PYTHONPATH=/app PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
RUN python3 -m compileall -q /app
WORKDIR /app
CMD ["python", "-m", "orchestrator.executor"]
