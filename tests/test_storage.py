"""Uploads: real type by magic bytes, size and pixel caps, re-encoding, random names."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import pytest
from flask_babel import force_locale
from PIL import Image
from werkzeug.datastructures import FileStorage

from marketplace import storage
from marketplace.storage import UploadRejected


def image_bytes(fmt="JPEG", size=(800, 600), mode="RGB", **save_args) -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, (200, 120, 40) if mode == "RGB" else None).save(buffer, fmt, **save_args)
    return buffer.getvalue()


def upload(data: bytes, filename="photo.jpg") -> FileStorage:
    return FileStorage(stream=io.BytesIO(data), filename=filename)


def png_header_only(width: int, height: int) -> bytes:
    """A tiny PNG that declares huge dimensions (a decompression bomb's header)."""

    def chunk(kind: bytes, payload: bytes) -> bytes:
        body = kind + payload
        return struct.pack(">I", len(payload)) + body + struct.pack(">I", zlib.crc32(body))

    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 1024)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def media_files(app) -> list[str]:
    folder = Path(app.config["MEDIA_DIR"])
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_accepted_formats_are_stored_with_display_sizes(app, fmt):
    stored = storage.save_image(upload(image_bytes(fmt, (1600, 1200))), "product")
    assert (stored.width, stored.height) == (1600, 1200)
    assert storage.IMAGE_NAME.match(stored.name)
    names = media_files(app)
    for size in storage.SIZES:
        assert f"{stored.name}-{size}.webp" in names
        assert f"{stored.name}-{size}.jpg" in names
    with Image.open(Path(app.config["MEDIA_DIR"]) / f"{stored.name}-card.webp") as card:
        assert card.size == storage.display_size(1600, 1200, "card") == (600, 450)


def test_plain_bytes_are_accepted_too(app):
    stored = storage.save_image(image_bytes("PNG", (300, 200)), "logo")
    assert (stored.width, stored.height) == (300, 200)


def test_file_larger_than_five_megabytes_is_refused(app):
    data = b"\xff\xd8\xff\xe0" + b"\0" * (6 * 1024 * 1024)
    with pytest.raises(UploadRejected) as info:
        storage.save_image(upload(data), "product")
    with force_locale("en"):
        assert "at most 5 MB" in str(info.value.message)
    with pytest.raises(UploadRejected):
        storage.save_document(upload(b"%PDF-1.7\n" + b"0" * (6 * 1024 * 1024), "big.pdf"))
    assert media_files(app) == []


def test_executable_renamed_pdf_is_refused(app):
    exe = b"MZ\x90\x00\x03\x00\x00\x00" + b"\0" * 500
    with pytest.raises(UploadRejected):
        storage.save_document(upload(exe, "statuts.pdf"))
    with pytest.raises(UploadRejected):
        storage.save_image(upload(exe, "photo.jpg"), "product")
    assert not Path(app.config["UPLOAD_DIR"]).exists() or not any(
        Path(app.config["UPLOAD_DIR"]).iterdir()
    )


def test_svg_is_refused(app):
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    with pytest.raises(UploadRejected):
        storage.save_image(upload(svg, "logo.svg"), "logo")
    with pytest.raises(UploadRejected):
        storage.save_document(upload(svg, "logo.svg"))


def test_png_decompression_bomb_is_refused_before_decoding(app):
    # 6000 x 5000 = 30 MP: below Pillow's own limit, above ours.
    assert Image.MAX_IMAGE_PIXELS > 6000 * 5000
    with pytest.raises(UploadRejected) as info:
        storage.save_image(upload(png_header_only(6000, 5000), "bomb.png"), "product")
    with force_locale("en"):
        assert "at most 24 megapixels" in str(info.value.message)
    # Far beyond Pillow's limit: refused as well, never an exception of Pillow's.
    with pytest.raises(UploadRejected):
        storage.save_image(upload(png_header_only(50000, 50000), "bomb.png"), "product")
    with pytest.raises(UploadRejected):
        storage.save_document(upload(png_header_only(50000, 50000), "scan.png"))
    assert media_files(app) == []


def test_exif_metadata_is_stripped(app):
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"  # Make
    exif[0x8825] = {2: (33.0, 55.0, 12.0)}  # GPS latitude
    data = image_bytes("JPEG", (640, 480), exif=exif.tobytes())
    assert b"SecretCam" in data
    stored = storage.save_image(upload(data), "product")
    for name in media_files(app):
        content = (Path(app.config["MEDIA_DIR"]) / name).read_bytes()
        assert b"SecretCam" not in content, name
        with Image.open(io.BytesIO(content)) as image:
            assert not image.getexif(), name
    assert stored.width == 640


def test_truncated_image_is_refused(app):
    data = image_bytes("PNG", (400, 300))[:60]
    with pytest.raises(UploadRejected):
        storage.save_image(upload(data, "broken.png"), "product")


def test_document_names_are_random_and_traversal_is_harmless(app):
    from tests.world import PDF_BYTES

    doc = storage.save_document(upload(PDF_BYTES, "../../etc/passwd\\..\\x.pdf"))
    assert doc.content_type == "application/pdf"
    assert doc.original_name == "x.pdf"
    assert storage.DOCUMENT_NAME.match(doc.stored_name)
    path = storage.document_path(doc.stored_name)
    assert path.parent == Path(app.config["UPLOAD_DIR"])
    assert path.read_bytes().startswith(b"%PDF-")  # re-written: see test_upload_sanitising
    assert doc.size_bytes == path.stat().st_size
    with pytest.raises(storage.DomainNotFound):
        storage.document_path("../" + doc.stored_name)
    with pytest.raises(storage.DomainNotFound):
        storage.document_path("0" * 32 + ".pdf")


def test_document_images_keep_their_type(app):
    doc = storage.save_document(upload(image_bytes("PNG", (100, 100)), "scan.PNG"))
    assert doc.content_type == "image/png"
    assert doc.stored_name.endswith(".png")


def test_media_is_served_with_long_cache_headers(app, client):
    stored = storage.save_image(image_bytes("JPEG", (800, 600)), "product")
    with app.test_request_context():
        url = storage.image_url(stored.name, "card")
        assert url == f"/media/{stored.name}-card.webp"
        assert storage.image_url(stored.name, "large", "jpg").endswith("-large.jpg")
    with client.get(url) as response:
        assert response.status_code == 200
        assert response.mimetype == "image/webp"
        assert response.get_data()[8:12] == b"WEBP"
        assert "max-age=31536000" in response.headers["Cache-Control"]
        assert "immutable" in response.headers["Cache-Control"]
    assert client.get(f"/media/{stored.name}-huge.webp").status_code == 404
    assert client.get("/media/../config.py").status_code == 404
    assert client.get("/media/%2e%2e/%2e%2e/config.py").status_code == 404
