"""Uploads on an S3-compatible bucket (S3_* settings): real boto3 calls against a local moto
server. Images keep every check and clean-up of the local storage, are public with the same
cache headers, and pages link them to the bucket; documents stay private and are streamed by
the app after its access check; ``flask media migrate-to-s3`` copies, resumes and verifies."""

from __future__ import annotations

import hashlib
import io
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from marketplace import object_storage, storage
from marketplace.catalogue.models import Product
from marketplace.extensions import db
from marketplace.web import content_security_policy
from tests.helpers import login
from tests.world import add_document, build_world

CACHE = "public, max-age=31536000, immutable"


def image_bytes(size=(800, 600), **save_args) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 120, 40)).save(buffer, "JPEG", **save_args)
    return buffer.getvalue()


def keys(s3) -> list[str]:
    client, bucket = s3
    return sorted(item["Key"] for item in client.list_objects_v2(Bucket=bucket).get("Contents", []))


def fetch(url: str):
    """An anonymous HTTP GET, as a browser would make it."""
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:  # noqa: S310 - loopback test URL
            headers = {key.lower(): value for key, value in answer.headers.items()}
            return answer.status, headers, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, {}, b""


def test_images_go_to_the_bucket_public_with_the_media_cache_headers(app, s3, client):
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"
    stored = storage.save_image(
        FileStorage(io.BytesIO(image_bytes(exif=exif.tobytes())), "p.jpg"), "product"
    )
    db.session.commit()
    names = [key.removeprefix("media/") for key in keys(s3)]
    assert len(names) == 7 and all(storage.MEDIA_FILE.match(name) for name in names)
    assert not list(Path(app.config["MEDIA_DIR"]).glob("*"))  # nothing on the local disk

    with app.test_request_context():
        url = storage.image_url(stored.name, "card", "webp")
    assert url == f"{app.config['S3_PUBLIC_BASE_URL']}/media/{stored.name}-card.webp"
    status, headers, body = fetch(url)
    assert status == 200
    assert headers["content-type"] == "image/webp"
    assert headers["cache-control"] == CACHE
    with Image.open(io.BytesIO(body)) as image:
        assert image.size == (600, 450) and not image.getexif()
    status, _, original = fetch(url.replace("-card.webp", "-original.jpg"))
    assert status == 200 and b"SecretCam" not in original

    # A link made before the move (or a cached page) is sent to the bucket.
    response = client.get(f"/media/{stored.name}-card.webp")
    assert response.status_code == 301 and response.headers["Location"] == url


def test_an_image_of_a_rolled_back_transaction_is_removed_from_the_bucket(app, s3):
    db.session.execute(select(Product.id)).all()  # the transaction the photo belongs to
    storage.save_image(image_bytes(), "product")
    assert len(keys(s3)) == 7
    db.session.rollback()
    assert keys(s3) == []


def test_deleting_an_image_removes_its_objects_only(app, s3):
    kept = storage.save_image(image_bytes(), "product")
    gone = storage.save_image(image_bytes(), "logo")
    db.session.commit()
    storage.delete_image(gone.name)
    assert {key.split("-")[0] for key in keys(s3)} == {f"media/{kept.name}"}


def test_a_bucket_that_does_not_answer_refuses_the_photo_with_a_503(app, s3, monkeypatch):
    monkeypatch.setitem(app.config, "S3_ENDPOINT_URL", "http://127.0.0.1:9")  # closed port
    monkeypatch.setitem(app.config, "S3_TIMEOUT_SECONDS", 0.5)
    with pytest.raises(storage.StorageFailed) as caught:
        storage.save_image(image_bytes(), "product")
    assert caught.value.status_code == 503
    monkeypatch.setitem(app.config, "S3_ENDPOINT_URL", s3[0].meta.endpoint_url)
    assert keys(s3) == []


def test_documents_are_private_and_streamed_after_the_access_check(app, s3):
    world = build_world()
    document = add_document(world.coop_a)
    key = f"documents/{document.stored_name}"
    assert key in keys(s3)
    assert not list(Path(app.config["UPLOAD_DIR"]).glob("*"))
    status, _, _ = fetch(f"{app.config['S3_PUBLIC_BASE_URL']}/{key}")
    assert status == 403  # not readable without the app

    url = f"/en/dashboard/documents/{document.id}"
    owner = app.test_client()
    login(owner, world.member_a)
    response = owner.get(url)
    assert response.status_code == 200
    assert response.get_data().startswith(b"%PDF-")
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert response.headers["Cache-Control"] == "private, no-store"
    response.close()
    other = app.test_client()
    login(other, world.member_b)
    assert other.get(url).status_code == 404

    storage.delete_document(document.stored_name)
    assert key not in keys(s3)
    with pytest.raises(Exception) as caught:
        storage.open_document(document.stored_name)
    assert getattr(caught.value, "status_code", None) == 404


def test_pages_may_load_images_from_the_bucket_origin(app, s3):
    origins = object_storage.public_origins(app)
    assert origins == (app.config["S3_ENDPOINT_URL"],)
    policy = content_security_policy("n", (), origins)
    assert f"img-src 'self' data: blob: {origins[0]};" in policy


def _md5(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def test_migrate_to_s3_copies_resumes_and_verifies(app, s3_server, monkeypatch):
    # Files saved on the local disk first (no S3 settings yet).
    image = storage.save_image(image_bytes(), "product")
    world = build_world()
    document = add_document(world.coop_a)
    db.session.commit()
    media = Path(app.config["MEDIA_DIR"])
    local = {path.name: path.read_bytes() for path in media.iterdir()}
    local_doc = (Path(app.config["UPLOAD_DIR"]) / document.stored_name).read_bytes()
    documents = len(list(Path(app.config["UPLOAD_DIR"]).iterdir()))  # the world's too
    (media / "notes.txt").write_text("not ours")  # ignored: not a media file name

    bucket = s3_server.new_bucket()
    for key, value in s3_server.settings(bucket).items():
        monkeypatch.setitem(app.config, key, value)
    client = s3_server.client()
    cli = app.test_cli_runner()

    # Interrupted after two images: the next run copies the rest only.
    first_two = sorted(local)[:2]
    for name in first_two:
        client.put_object(Bucket=bucket, Key=f"media/{name}", Body=local[name])
    # One object in the bucket is damaged: it is copied again.
    damaged = sorted(local)[2]
    client.put_object(Bucket=bucket, Key=f"media/{damaged}", Body=b"truncated")

    result = cli.invoke(args=["media", "migrate-to-s3"])
    assert result.exit_code == 0, result.output
    assert f"images: {len(local) - 2} copied, 2 already there, 0 failed" in result.output
    assert f"documents: {documents} copied, 0 already there, 0 failed" in result.output
    for name, data in local.items():
        stored = client.get_object(Bucket=bucket, Key=f"media/{name}")
        assert _md5(stored["Body"].read()) == _md5(data)
        if name not in first_two:  # copied by the command
            assert stored["CacheControl"] == CACHE
    stored_doc = client.get_object(Bucket=bucket, Key=f"documents/{document.stored_name}")
    assert stored_doc["Body"].read() == local_doc

    again = cli.invoke(args=["media", "migrate-to-s3"])
    assert f"images: 0 copied, {len(local)} already there, 0 failed" in again.output
    assert f"documents: 0 copied, {documents} already there, 0 failed" in again.output

    # The site now reads from the bucket.
    with app.test_request_context():
        status, _, body = fetch(storage.image_url(image.name, "large", "jpg"))
    assert status == 200 and body == local[f"{image.name}-large.jpg"]
    assert storage.open_document(document.stored_name).read() == local_doc


def test_migrate_to_s3_needs_a_bucket(app):
    result = app.test_cli_runner().invoke(args=["media", "migrate-to-s3"])
    assert result.exit_code != 0 and "S3_BUCKET is not set" in result.output
