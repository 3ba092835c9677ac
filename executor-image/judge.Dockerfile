# ppb/judge: the judge service (`python -m judge`), run as user 10002 with its cache in
# /var/lib/judge. Built offline from the wheelhouse, like the sandbox image.
ARG BASE_IMAGE=ppb/debian-python:bookworm

FROM ${BASE_IMAGE} AS venv
COPY requirements/judge.lock /tmp/requirements.lock
COPY .cache/wheelhouse/judge /tmp/wheelhouse
RUN python3 -m venv /opt/venv \
 && /opt/venv/bin/pip install --no-cache-dir --no-index --no-deps \
      --find-links=/tmp/wheelhouse -r /tmp/requirements.lock \
 && /opt/venv/bin/pip uninstall -y -q pip

FROM ${BASE_IMAGE}
RUN useradd --uid 10002 --user-group --no-create-home --shell /usr/sbin/nologin judge \
 && mkdir -p /var/lib/judge && chown judge:judge /var/lib/judge
COPY --from=venv /opt/venv /opt/venv
COPY orchestrator/__init__.py /app/orchestrator/
COPY orchestrator/common /app/orchestrator/common
COPY judge /app/judge
ENV PATH=/opt/venv/bin:/usr/bin:/bin PYTHONPATH=/app PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
RUN python3 -m compileall -q /app
WORKDIR /app
CMD ["python", "-m", "judge"]
