# A dependency image: the sandbox image plus a repo's requirements, installed offline from
# wheels the host resolved with its own pip. One image per requirements hash, reused.
ARG SANDBOX_IMAGE
FROM ${SANDBOX_IMAGE}
USER root
COPY wheels /tmp/papercoder-deps
COPY requirements.txt constraints.txt /tmp/papercoder-req/
RUN /opt/venv/bin/pip install --no-index --no-cache-dir --find-links /tmp/papercoder-deps \
      -r /tmp/papercoder-req/requirements.txt -c /tmp/papercoder-req/constraints.txt \
 && rm -rf /tmp/papercoder-deps /tmp/papercoder-req
USER 10001:10001
