FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1

WORKDIR /app
COPY pyproject.toml README.md ./
COPY archive ./archive
COPY browse ./browse
COPY opendata ./opendata
COPY preservation ./preservation
COPY stories ./stories
COPY templates ./templates
COPY static ./static
COPY manage.py ./
# /srv/copies: where archived copies go (docker-compose.yml mounts a volume there as
# COPIES_ROOT); a named volume takes the folder's owner from the image.
RUN pip install . \
    && DJANGO_SECRET_KEY=build-only python manage.py collectstatic --no-input \
    && useradd --system --home /app archive \
    && mkdir -p /srv/copies && chown archive /srv/copies
USER archive

EXPOSE 8000
CMD ["gunicorn", "archive.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
