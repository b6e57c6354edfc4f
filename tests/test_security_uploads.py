"""Hostile uploads, beyond tests/test_storage.py: polyglot files, SVG and HTML in disguise,
other image types, hostile file names, and how stored files are served back."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from pathlib import Path

import pytest
from flask_babel import force_locale
from PIL import Image
from werkzeug.datastructures import FileStorage

from marketplace import storage
from marketplace.storage import UploadRejected
from tests.helpers import login
from tests.world import PDF_BYTES, add_document, build_world

PAYLOAD = b"<script>alert(document.domain)</script>"


def image_bytes(fmt: str = "JPEG", size=(320, 240), **save_args) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (30, 120, 200)).save(buffer, fmt, **save_args)
    return buffer.getvalue()


def upload(data: bytes, filename: str = "photo.jpg", content_type: str | None = None):
    return FileStorage(stream=io.BytesIO(data), filename=filename, content_type=content_type)


def zip_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("index.html", PAYLOAD)
    return buffer.getvalue()


def png_with_text_chunk(text: bytes) -> bytes:
    """A valid PNG carrying ``text`` in a tEXt chunk (read by some tools, kept by naive
    copies)."""
    data = image_bytes("PNG")
    payload = b"Comment\x00" + text
    chunk = (
        struct.pack(">I", len(payload))
        + b"tEXt"
        + payload
        + struct.pack(">I", zlib.crc32(b"tEXt" + payload))
    )
    return data[:33] + chunk + data[33:]  # right after the IHDR chunk


def stored_files(app) -> list[Path]:
    folder = Path(app.config["MEDIA_DIR"])
    return sorted(folder.iterdir()) if folder.exists() else []


def refused_message(callable_, *args) -> str:
    with pytest.raises(UploadRejected) as info:
        callable_(*args)
    with force_locale("fr"):
        french = str(info.value.message)
    with force_locale("en"):
        english = str(info.value.message)
    assert french and french != english, "the refusal message is not translated"
    return english


# --- accepted formats: always re-encoded ---------------------------------------------------


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_polyglot_tails_are_dropped_by_re_encoding(app, fmt):
    """An image followed by a ZIP archive or HTML (a polyglot a browser or unzip would read
    differently) is accepted as the image only: nothing of the tail is kept."""
    data = image_bytes(fmt) + zip_bytes() + PAYLOAD
    stored = storage.save_image(upload(data, f"photo.{fmt.lower()}"), "product")
    files = stored_files(app)
    assert files, "nothing stored"
    for path in files:
        content = path.read_bytes()
        assert PAYLOAD not in content, path.name
        assert b"index.html" not in content, path.name
        assert path.name.startswith(stored.name)


def test_text_chunks_hidden_in_a_png_are_not_kept(app):
    storage.save_image(upload(png_with_text_chunk(PAYLOAD), "logo.png"), "logo")
    for path in stored_files(app):
        assert PAYLOAD not in path.read_bytes(), path.name


@pytest.mark.parametrize(
    ("data", "filename", "content_type"),
    [
        (
            b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
            "photo.png",
            "image/png",
        ),
        (b"<!doctype html><html><body>" + PAYLOAD + b"</body></html>", "photo.jpg", "image/jpeg"),
        (b"GIF89a" + b"\x01\x00\x01\x00" + PAYLOAD, "anim.gif", "image/gif"),
        (b"\x89PNG\r\n\x1a\n" + PAYLOAD * 4, "fake.png", "image/png"),  # PNG magic, HTML body
        (b"RIFF\x10\x00\x00\x00WEBPVP8 " + PAYLOAD, "fake.webp", "image/webp"),
        (zip_bytes(), "photo.jpg", "image/jpeg"),
        (PDF_BYTES, "photo.jpg", "image/jpeg"),
    ],
    ids=["svg-as-png", "html-as-jpg", "gif", "png-magic-html", "webp-magic-html", "zip", "pdf"],
)
def test_disguised_or_unsupported_images_are_refused(app, data, filename, content_type):
    message = refused_message(storage.save_image, upload(data, filename, content_type), "product")
    assert message
    assert stored_files(app) == []


@pytest.mark.parametrize("fmt", ["BMP", "TIFF", "GIF", "ICO"])
def test_only_jpeg_png_and_webp_images_are_accepted(app, fmt):
    message = refused_message(storage.save_image, upload(image_bytes(fmt), "x.jpg"), "product")
    assert "JPEG, PNG and WebP" in message


def test_webp_is_accepted_and_re_encoded(app):
    original = image_bytes("WEBP", (500, 400), quality=100)
    stored = storage.save_image(upload(original, "photo.webp"), "product")
    assert (stored.width, stored.height) == (500, 400)
    names = [p.name for p in stored_files(app)]
    assert f"{stored.name}-original.webp" in names
    assert (Path(app.config["MEDIA_DIR"]) / f"{stored.name}-original.webp").read_bytes() != (
        original
    )


# --- documents -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        b"<!doctype html>" + PAYLOAD,
        b"\x89PNG\r\n\x1a\n" + PAYLOAD * 4,
        b"\xff\xd8\xff\xe0" + PAYLOAD * 4,  # JPEG magic, not a JPEG
        zip_bytes(),
        b"MZ\x90\x00" + PAYLOAD,
    ],
    ids=["svg", "html", "png-magic-html", "jpeg-magic-html", "zip", "exe"],
)
def test_disguised_documents_are_refused(app, data):
    refused_message(storage.save_document, upload(data, "statuts.pdf", "application/pdf"))
    folder = Path(app.config["UPLOAD_DIR"])
    assert not folder.exists() or not any(folder.iterdir())


@pytest.mark.parametrize(
    ("hostile_name", "expected"),
    [
        ("../../../../etc/cron.d/evil.pdf", "evil.pdf"),
        ("..\\..\\windows\\system32\\evil.pdf", "evil.pdf"),
        ("/absolute/path/statuts.pdf", "statuts.pdf"),
        ("statuts\x00.html.pdf", "statuts.html.pdf"),
        ("fdp.\u202egnp.exe", "fdp.gnp.exe"),  # a right-to-left override would show "exe.png"
        ("...", "document"),
        ("", "document"),
    ],
)
def test_hostile_document_names_are_neutralised(app, hostile_name, expected):
    doc = storage.save_document(upload(PDF_BYTES, hostile_name))
    assert doc.original_name == expected
    assert storage.DOCUMENT_NAME.match(doc.stored_name)
    path = storage.document_path(doc.stored_name)
    assert path.resolve().parent == Path(app.config["UPLOAD_DIR"]).resolve()


@pytest.mark.parametrize(
    "name",
    ["../config.py", "..%2fconfig.py", "/etc/passwd", "a" * 32 + ".pdf/../../x", "x.pdf\x00"],
)
def test_document_paths_outside_the_upload_folder_are_not_found(app, name):
    with pytest.raises(storage.DomainNotFound):
        storage.document_path(name)


def test_a_pdf_html_polyglot_document_is_only_ever_downloaded(app):
    """A PDF that is also HTML is stored re-written without the HTML, and served as a PDF
    attachment, never rendered by the browser as a page of our site."""
    w = build_world()
    polyglot = PDF_BYTES + b"<html><body>" + PAYLOAD + b"</body></html>"
    stored = storage.save_document(upload(polyglot, "statuts.pdf"))
    document = add_document(w.coop_a)
    storage.delete_document(document.stored_name)
    document.stored_name = stored.stored_name
    from marketplace.extensions import db

    db.session.commit()
    client = app.test_client()
    login(client, w.member_a)
    response = client.get(f"/fr/dashboard/documents/{document.id}")
    assert response.status_code == 200
    assert response.get_data().startswith(b"%PDF-")
    assert PAYLOAD not in response.get_data()
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response.headers["Cache-Control"]
    response.close()


def test_media_urls_cannot_reach_other_files(app, client):
    for url in (
        "/media/../config.py",
        "/media/..%2f..%2fconfig.py",
        "/media/%2e%2e/%2e%2e/wsgi.py",
        "/media/....//....//config.py",
        "/media/" + "0" * 32 + "-card.webp/../../../config.py",
        "/media/" + "0" * 32 + "-card.svg",
        "/media/uploads/" + "0" * 32 + ".pdf",
    ):
        response = client.get(url)
        response.close()
        assert response.status_code == 404, url


# --- through the real forms ------------------------------------------------------------------


def test_an_svg_product_photo_is_refused_with_a_clear_message(app):
    from tests.form_filler import submit

    w = build_world()
    client = app.test_client()
    login(client, w.member_a)
    svg = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'
    before = stored_files(app)
    response = submit(
        client,
        f"/en/dashboard/products/{w.product_a.id}/edit",
        {},
        having={"images"},
        files={"images": (io.BytesIO(svg), "photo.png", "image/png")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert response.status_code in (200, 400)
    html = response.get_data(as_text=True)
    assert "Only JPEG, PNG and WebP images are accepted." in html
    assert stored_files(app) == before  # nothing was written
