# syntax=docker/dockerfile:1
# swingcoach service image: the API (`swingcoach serve`) and the Celery worker run from it.
#   docker build -t swingcoach .

FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
WORKDIR /src
COPY pyproject.toml README.md ./
COPY src ./src
RUN /opt/venv/bin/pip install ".[server]"

FROM python:3.11-slim AS runtime
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    SWINGCOACH_DATA_DIR=/data
RUN useradd --create-home --uid 10001 swingcoach \
    && mkdir -p /data/upload-staging && chown -R swingcoach:swingcoach /data
COPY --from=build /opt/venv /opt/venv
USER swingcoach
WORKDIR /home/swingcoach
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=3s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2)"]
CMD ["swingcoach", "serve", "--host", "0.0.0.0", "--port", "8000"]
