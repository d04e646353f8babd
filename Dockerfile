# The portal in a container: production.ini served by waitress, as a non-root user.
#
#   docker build -t portal .
#   docker run -p 6543:6543 -e PORTAL_SECRET=... -e DATABASE_URL=postgresql+psycopg://... portal
#
# Two stages: the first builds wheels of the core, every plugin under plugins/ and all
# their dependencies; the second installs only those wheels into a clean slim image, so
# no compiler, source tree or build cache reaches the image that runs.

FROM python:3.11-slim AS build
WORKDIR /src
RUN python -m pip install --no-cache-dir --upgrade pip setuptools wheel
COPY . /src
# The core with the PostgreSQL driver, then each plugin: as wheels, like any third party's.
RUN python -m pip wheel --no-cache-dir --wheel-dir /wheels ".[postgresql]" \
 && for plugin in plugins/*/; do \
        python -m pip wheel --no-cache-dir --no-deps --wheel-dir /wheels "$plugin"; \
    done

FROM python:3.11-slim AS runtime
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN groupadd --system --gid 10001 portal \
 && useradd --system --uid 10001 --gid portal --home-dir /app --shell /usr/sbin/nologin portal
COPY --from=build /wheels /wheels
RUN python -m pip install --no-cache-dir --no-index --find-links /wheels /wheels/*.whl \
 && rm -rf /wheels
WORKDIR /app
COPY production.ini /app/production.ini
# The plugins' content parsed now, so the container's first start loads it from disk
# (portal.content.cache_dir in production.ini: /app/var/content-cache).
RUN mkdir -p /app/var \
 && portal content cache /app/production.ini \
 && chown -R portal:portal /app/var
USER 10001:10001
EXPOSE 6543
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:6543/healthz', timeout=2)"]
CMD ["pserve", "/app/production.ini"]
