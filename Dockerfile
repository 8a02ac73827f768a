# blindrate: one image for the web process (gunicorn) and the Celery worker.
# Build and run it with docker compose (see docker-compose.yml and docs/production.md).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# The dependencies first, read from pyproject.toml alone, so that a change to the code
# reuses this (slow) layer.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

# The project itself (no dev extras). The code runs from /app (PYTHONPATH below), so that
# BASE_DIR is /app and the templates beside the code are found.
COPY . .
RUN pip install . && rm -rf build *.egg-info

# A writable home: gunicorn puts its control socket in ~/.gunicorn.
RUN useradd --system --user-group --uid 10001 --create-home --home-dir /home/blindrate blindrate \
    && mkdir -p /app/var /data/media \
    && chown -R blindrate:blindrate /app/var /data/media

ENV DJANGO_SETTINGS_MODULE=config.settings \
    PYTHONPATH=/app \
    MEDIA_ROOT=/data/media \
    STATIC_ROOT=/app/static \
    WEB_CONCURRENCY=3

# Static files are collected into the image and served by WhiteNoise. The key exists only
# for this command; the running container must be given its own SECRET_KEY.
RUN SECRET_KEY=build-only DEBUG=false python manage.py collectstatic --noinput

USER blindrate
VOLUME ["/data/media"]
EXPOSE 8000

# Gunicorn reads its number of worker processes from WEB_CONCURRENCY.
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--access-logfile", "-", "--timeout", "120"]
