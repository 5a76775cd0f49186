# One image for every Leadflow process: web (gunicorn), Celery worker and beat. See docker-compose.yml.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    LEADFLOW_DATA_DIR=/app/var

WORKDIR /app
RUN useradd --create-home --uid 10001 leadflow

COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .
# Static files are collected at build time and served by WhiteNoise; the throw-away key only lets settings load.
RUN DEBUG=false SECRET_KEY=build-time-only-not-used-at-run-time python manage.py collectstatic --noinput \
    && mkdir -p /app/var && chown -R leadflow:leadflow /app/var

USER leadflow
EXPOSE 8000
# Workers, threads and the short queues are in gunicorn.conf.py (WEB_CONCURRENCY, GUNICORN_THREADS, ...).
ENV FORWARDED_ALLOW_IPS="*"
CMD ["gunicorn", "leadflow.wsgi:application"]
