# The sandbox image plus `jupyter nbconvert`, for the tests only: the conformance test runs
# the reference's procedure (nbconvert --execute) in the same environment as the sandboxes.
# Sandboxes never use this image.
ARG SANDBOX_IMAGE=ppb/sandbox:latest
FROM ${SANDBOX_IMAGE}
USER 0:0
COPY executor-image/nbconvert.lock /tmp/nbconvert.lock
COPY .cache/wheelhouse/nbconvert /tmp/wheelhouse
# The venv has no pip: ensurepip brings Debian's bundled one for the install, then it goes.
RUN python3 -m ensurepip --default-pip >/dev/null \
 && python3 -m pip install --no-cache-dir --no-index --no-deps -q \
      --find-links=/tmp/wheelhouse -r /tmp/nbconvert.lock \
 && python3 -m pip uninstall -y -q pip setuptools \
 && rm -rf /tmp/wheelhouse /tmp/nbconvert.lock
USER 10001:10001
