# Souk Drâa-Tafilalet — production image: gunicorn serving wsgi:app as an unprivileged user.
#   docker build -t souk .        (see compose.yaml and the README's "Deploying" section)
# Debian's own Python 3.11 and PostgreSQL 15 client, in a virtual environment: one distribution,
# security updates with each rebuild, and pg_dump of the same major version as the database.
FROM debian:bookworm-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH \
    APP_ENV=production \
    FLASK_APP=wsgi.py \
    INSTANCE_PATH=/data \
    UPLOAD_DIR=/data/uploads \
    MEDIA_DIR=/data/media \
    PORT=8000

# postgresql-client: pg_dump/pg_restore for `flask backup` / `flask restore`.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 python3-venv ca-certificates \
      postgresql-client \
 && rm -rf /var/lib/apt/lists/* \
 && python3 -m venv /opt/venv

WORKDIR /app
COPY requirements.txt .
# The site's own requirements only (tests and tools are in requirements-dev.txt).
RUN pip install -r requirements.txt

COPY . .
# Translation catalogs are compiled into the image (.mo files are not committed).
RUN pybabel -q compile -d translations \
 && groupadd --gid 10001 souk \
 && useradd --uid 10001 --gid souk --home-dir /app --shell /usr/sbin/nologin souk \
 && mkdir -p /data/uploads /data/media /data/backups \
 && chown -R souk:souk /data

USER souk
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status == 200 else 1)"

CMD ["gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"]
