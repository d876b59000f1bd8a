# The OCF platform in a container (docs/deployment.md, section 5): a non-root user, the
# database and its audit key on a volume, a health check on Streamlit's own address.
# BASE: any Debian-like image with Python 3.11 or later and its venv module (a trust's own
# hardened base, or one made from Debian's packages where no registry is reachable:
# deployment.md section 5).
ARG BASE=python:3.11-slim
FROM ${BASE}

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    OCF_DB=/data/ocf.db \
    OCF_AUDIT_KEY_FILE=/data/ocf.db.audit-key \
    GLIBC_TUNABLES=glibc.malloc.trim_threshold=67108864:glibc.malloc.mmap_threshold=16777216

RUN useradd --create-home --uid 10001 ocf
WORKDIR /app
# Into a virtual environment of its own: nothing installed over the base's Python (Debian's
# refuses that anyway, PEP 668). The dependencies first, from pyproject.toml alone, so a change
# to the code rebuilds only the layers after them.
COPY pyproject.toml README.md ./
RUN python3 -m venv /opt/ocf && /opt/ocf/bin/python -c "import subprocess, sys, tomllib; \
    deps = tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']; \
    subprocess.check_call([sys.executable, '-m', 'pip', 'install', '--no-cache-dir', *deps])"
COPY ocf ./ocf
RUN /opt/ocf/bin/pip install --no-cache-dir --no-deps .
ENV PATH=/opt/ocf/bin:$PATH
COPY . .
RUN mkdir -p /data && chown ocf:ocf /data

USER ocf
VOLUME ["/data"]
EXPOSE 8501
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8501/_stcore/health', timeout=4)"

# Listens on all the container's interfaces: publish the port to the host's loopback only, and
# serve it through the TLS proxy (deployment.md). The demo is never seeded here.
CMD ["streamlit", "run", "streamlit_app.py", "--server.address", "0.0.0.0", "--server.port", "8501", "--server.headless", "true", "--browser.gatherUsageStats", "false"]
