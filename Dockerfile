# Souk Drâa-Tafilalet — production image: gunicorn serving wsgi:app as an unprivileged user.
#   docker build -t souk .        (see compose.yaml and the README's "Deploying" section)
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    APP_ENV=production \
    FLASK_APP=wsgi.py \
    INSTANCE_PATH=/data \
    UPLOAD_DIR=/data/uploads \
    MEDIA_DIR=/data/media \
    PORT=8000

# postgresql-client: pg_dump/pg_restore for `flask backup` / `flask restore`.
RUN apt-get update \
 && apt-get install -y --no-install-recommends postgresql-client \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .
# Translation catalogs are compiled into the image (.mo files are not committed).
RUN pybabel -q compile -d translations \
 && useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin souk \
 && mkdir -p /data/uploads /data/media \
 && chown -R souk:souk /data

USER souk
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status == 200 else 1)"

CMD ["gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"]
