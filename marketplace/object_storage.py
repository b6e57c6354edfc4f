"""Where stored files live: the local disk (default) or an S3-compatible bucket.

With ``S3_BUCKET`` set, public images go to ``<bucket>/media/<file>`` (readable by anyone:
``S3_PUBLIC_ACL``, ``public-read`` by default; set it empty when a bucket policy or the CDN
grants read access) and private documents to ``<bucket>/documents/<file>`` (never public:
the app streams them after its access check). Pages link images to ``S3_PUBLIC_BASE_URL``
(a CDN or the bucket's public address) and objects carry the same Cache-Control as the
app's own /media/ responses. Every node of the site then sees the same files.

``flask media migrate-to-s3`` copies the files of the local folders to the bucket: a file
already there with the same MD5 (its ETag for a single-part upload) is skipped, so the
command can be run again after an interruption; every copy is sent with its MD5 (the server
refuses a corrupted body) and checked afterwards.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import os
import threading
from pathlib import Path
from urllib.parse import urlsplit

from flask import current_app

log = logging.getLogger(__name__)
MEDIA_PREFIX = "media/"
DOCUMENT_PREFIX = "documents/"
# Images never change under a name (random, never reused): cached for a year everywhere.
MEDIA_CACHE_CONTROL = "public, max-age=31536000, immutable"
DOCUMENT_CACHE_CONTROL = "private, no-store"

_clients: dict[tuple, object] = {}
_clients_lock = threading.Lock()


class ObjectStorageError(OSError):
    """The bucket did not take or give a file (treated like a failing disk)."""


def enabled(app=None) -> bool:
    return bool((app or current_app).config.get("S3_BUCKET"))


def bucket() -> str:
    return current_app.config["S3_BUCKET"]


def client():
    """This process's boto3 S3 client (thread-safe; one per process and settings)."""
    import boto3
    from botocore.config import Config as BotoConfig

    config = current_app.config
    key = (
        os.getpid(),
        config.get("S3_ENDPOINT_URL"),
        config.get("S3_REGION"),
        config.get("S3_ACCESS_KEY_ID"),
    )
    found = _clients.get(key)
    if found is None:
        with _clients_lock:
            found = _clients.get(key)
            if found is None:
                found = boto3.session.Session().client(
                    "s3",
                    endpoint_url=config.get("S3_ENDPOINT_URL") or None,
                    region_name=config.get("S3_REGION") or None,
                    aws_access_key_id=config.get("S3_ACCESS_KEY_ID") or None,
                    aws_secret_access_key=config.get("S3_SECRET_ACCESS_KEY") or None,
                    config=BotoConfig(
                        connect_timeout=float(config.get("S3_TIMEOUT_SECONDS", 5)),
                        read_timeout=float(config.get("S3_TIMEOUT_SECONDS", 5)) * 2,
                        retries={"max_attempts": 3, "mode": "standard"},
                        s3={"addressing_style": config.get("S3_ADDRESSING_STYLE") or "auto"},
                    ),
                )
                _clients[key] = found
    return found


def _errors() -> tuple:
    from botocore.exceptions import BotoCoreError, ClientError

    return (BotoCoreError, ClientError)


def public_base_url() -> str:
    """Where pages link images: the CDN or the bucket's public address."""
    base = current_app.config.get("S3_PUBLIC_BASE_URL")
    if not base:
        endpoint = current_app.config.get("S3_ENDPOINT_URL") or "https://s3.amazonaws.com"
        base = f"{endpoint.rstrip('/')}/{bucket()}"
    return base.rstrip("/")


def public_origins(app) -> tuple[str, ...]:
    """The origin pages load images from when they are in the bucket (for the CSP)."""
    if not enabled(app):
        return ()
    with app.app_context():
        parts = urlsplit(public_base_url())
    return (f"{parts.scheme}://{parts.netloc}",) if parts.netloc else ()


def media_url(filename: str) -> str:
    return f"{public_base_url()}/{MEDIA_PREFIX}{filename}"


def _md5(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def put(key: str, data: bytes, content_type: str, *, public: bool) -> None:
    """Store ``data`` under ``key``; the server checks it against the MD5 sent with it."""
    extra = {
        "CacheControl": MEDIA_CACHE_CONTROL if public else DOCUMENT_CACHE_CONTROL,
        "ContentType": content_type,
    }
    acl = current_app.config.get("S3_PUBLIC_ACL", "public-read")
    if public and acl:
        extra["ACL"] = acl
    digest = hashlib.md5(data, usedforsecurity=False).digest()
    try:
        client().put_object(
            Bucket=bucket(),
            Key=key,
            Body=data,
            ContentMD5=base64.b64encode(digest).decode(),
            **extra,
        )
    except _errors() as exc:
        raise ObjectStorageError(f"could not store {key}: {exc}") from exc


def get(key: str) -> bytes | None:
    """The bytes under ``key``; None when there is no such object."""
    from botocore.exceptions import ClientError

    try:
        answer = client().get_object(Bucket=bucket(), Key=key)
        return answer["Body"].read()
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in {"NoSuchKey", "404", "NotFound"}:
            return None
        raise ObjectStorageError(f"could not read {key}: {exc}") from exc
    except _errors() as exc:
        raise ObjectStorageError(f"could not read {key}: {exc}") from exc


def etag(key: str) -> str | None:
    """The object's ETag without quotes (its MD5 for a single-part upload); None if absent."""
    from botocore.exceptions import ClientError

    try:
        return client().head_object(Bucket=bucket(), Key=key)["ETag"].strip('"')
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in {"NoSuchKey", "404", "NotFound"}:
            return None
        raise ObjectStorageError(f"could not look at {key}: {exc}") from exc


def delete_prefix(prefix: str) -> None:
    """Remove every object whose key starts with ``prefix``."""
    try:
        listed = client().list_objects_v2(Bucket=bucket(), Prefix=prefix)
        keys = [{"Key": item["Key"]} for item in listed.get("Contents", [])]
        if keys:
            client().delete_objects(Bucket=bucket(), Delete={"Objects": keys, "Quiet": True})
    except _errors() as exc:
        raise ObjectStorageError(f"could not delete {prefix}*: {exc}") from exc


def delete(key: str) -> None:
    try:
        client().delete_object(Bucket=bucket(), Key=key)
    except _errors() as exc:
        raise ObjectStorageError(f"could not delete {key}: {exc}") from exc


# --- flask media migrate-to-s3 (the command is in marketplace/cli.py) ----------------------


def _content_type(name: str) -> str:
    ext = name.rsplit(".", 1)[-1]
    return {"webp": "image/webp", "jpg": "image/jpeg", "png": "image/png"}.get(
        ext, "application/pdf"
    )


def migrate_folder(folder: Path, pattern, prefix: str, *, public: bool, echo=None) -> dict:
    """Copy every file of ``folder`` whose name matches ``pattern`` to ``prefix<name>``;
    skip those already there with the same MD5; verify each copy's ETag afterwards."""
    counts = {"copied": 0, "already_there": 0, "failed": 0}
    if not folder.is_dir():
        return counts
    for path in sorted(folder.iterdir()):
        if not path.is_file() or not pattern.match(path.name):
            continue
        key = f"{prefix}{path.name}"
        data = path.read_bytes()
        digest = _md5(data)
        try:
            if etag(key) == digest:
                counts["already_there"] += 1
                continue
            put(key, data, _content_type(path.name), public=public)
            stored = etag(key)
        except ObjectStorageError as exc:
            counts["failed"] += 1
            if echo:
                echo(f"{path}: {exc}")
            continue
        if stored != digest:
            counts["failed"] += 1
            if echo:
                echo(f"{path}: the stored copy's checksum {stored} is not {digest}")
            continue
        counts["copied"] += 1
    return counts
