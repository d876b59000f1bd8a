# The OCF platform in a container (docs/deployment.md, section 5): a non-root user, the
# database and its audit key on a volume, a health check on Streamlit's own address.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    OCF_DB=/data/ocf.db \
    OCF_AUDIT_KEY_FILE=/data/ocf.db.audit-key

RUN useradd --create-home --uid 10001 ocf
WORKDIR /app
COPY pyproject.toml README.md ./
COPY ocf ./ocf
RUN pip install --no-cache-dir .
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
