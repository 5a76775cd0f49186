# One image for every Leadflow process: web (gunicorn), Celery worker and beat. See docker-compose.yml.
# The base image is pinned to a patch release; Python dependencies install from requirements.lock, every file
# checked against its hash (regenerate it with pip-compile after changing requirements.txt; see README).
FROM python:3.11.13-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    LEADFLOW_DATA_DIR=/app/var \
    LEADFLOW_DEV_TOOLS=false

WORKDIR /app
RUN useradd --create-home --uid 10001 leadflow

COPY requirements.txt requirements.lock ./
RUN pip install --require-hashes --no-deps -r requirements.lock

COPY . .
# Static files are collected at build time and served by WhiteNoise; the throw-away key only lets settings load.
# var/media is created here, owned by the app's user, so the shared media volume mounted on it is writable.
RUN DEBUG=false SECRET_KEY=build-time-only-not-used-at-run-time python manage.py collectstatic --noinput \
    && mkdir -p /app/var/media && chown -R leadflow:leadflow /app/var

USER leadflow
EXPOSE 8000
# Can this container serve pages? (database and cache; /health/ adds the broker and beat, for monitoring.)
# Worker and beat containers override this in docker-compose.yml.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/health/web/', timeout=4).status != 200)"]
# Workers, threads and the short queues are in gunicorn.conf.py (WEB_CONCURRENCY, GUNICORN_THREADS, ...).
# Forwarded headers are trusted only from LEADFLOW_TRUSTED_PROXIES (Django) and FORWARDED_ALLOW_IPS (gunicorn).
CMD ["gunicorn", "leadflow.wsgi:application"]
