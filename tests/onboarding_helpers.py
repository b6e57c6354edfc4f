"""Shared bits of the onboarding and admin tests: valid answers, sample files, applying."""

from __future__ import annotations

import io
import struct
import zlib

import pikepdf
from pikepdf import Dictionary, Name
from PIL import Image

from tests.helpers import post_form

VALID_RIB = "011519000001205000534921"  # the IBAN registry's Moroccan example BBAN
VALID_RIB_SPACED = "011 519 0000012050005349 21"

IDENTITY = {
    "name_ar": "تعاونية واحة تافيلالت للتمور",
    "name_fr": "Coopérative Oasis Tafilalet des dattes",
    "registration_number": "rc-2012-4471",
    "province": "errachidia",
    "commune": "Rissani",
    "founded_year": "2012",
    "members_count": "24",
    "women_members_count": "17",
}
CONTACT = {
    "phone": "06 12 34 56 78",
    "email": "Contact@Oasis-Tafilalet.ma",
    "rib": VALID_RIB_SPACED,
}
STORY = {
    "story_ar": "نجمع تمور المجهول في واحة تافيلالت ونعبئها بعناية.",
    "story_fr": "Nous récoltons les dattes Mejhoul de l'oasis du Tafilalet.",
    "story_en": "",
}


def pdf_bytes(text: str = "statutes") -> bytes:
    """A one-page PDF showing ``text`` (documents are re-written, so they must parse)."""
    out = io.BytesIO()
    with pikepdf.new() as pdf:
        pdf.add_blank_page()
        page = pdf.pages[0]
        font = Dictionary(Type=Name.Font, Subtype=Name.Type1, BaseFont=Name.Helvetica)
        page.Resources = Dictionary(Font=Dictionary(F1=font))
        page.Contents = pdf.make_stream(b"BT /F1 12 Tf 72 760 Td (%s) Tj ET" % text.encode())
        pdf.save(out, deterministic_id=True)
    return out.getvalue()


def png_bytes(size: tuple[int, int] = (40, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (180, 83, 42)).save(out, "PNG")
    return out.getvalue()


def png_bomb(width: int = 20000, height: int = 20000) -> bytes:
    """A small PNG (~50 KB) that claims 400 megapixels of 1-bit pixels: a decompression bomb."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    row = b"\x00" * (1 + (width + 7) // 8)
    compressor = zlib.compressobj(9)
    idat = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def fill_steps_1_to_3(client, identity=None, contact=None, story=None) -> None:
    for step, data in ((1, identity or IDENTITY), (2, contact or CONTACT), (3, story or STORY)):
        url = f"/en/apply/step/{step}"
        response = post_form(client, url, data)
        assert response.status_code == 302, response.get_data(as_text=True)[:2000]
        assert response.headers["Location"].endswith(f"/en/apply/step/{step + 1}")


def upload_documents(client, files: dict):
    """Post files to step 4; ``files`` maps a field to (bytes, filename)."""
    data = {name: (io.BytesIO(content), filename) for name, (content, filename) in files.items()}
    data["upload"] = "1"
    return post_form(client, "/en/apply/step/4", data, content_type="multipart/form-data")


def apply_fully(client, identity=None) -> None:
    """Go through every step and send the application (the user must be logged in)."""
    fill_steps_1_to_3(client, identity=identity)
    response = upload_documents(
        client,
        {
            "statutes": (pdf_bytes("statutes"), "statuts.pdf"),
            "registration_certificate": (png_bytes(), "certificat.png"),
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    response = post_form(client, "/en/apply/step/5", {"confirm": "y"})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    assert response.headers["Location"].endswith("/en/apply/status")


def release() -> None:
    """End the test's own read transaction before the next request: on SQLite every
    transaction starts with BEGIN IMMEDIATE, so an open one would block the request's writes."""
    from marketplace.extensions import db

    db.session.commit()
