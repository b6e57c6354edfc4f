"""What an upload may carry that we must not keep: image metadata (EXIF with GPS, XMP, ICC
profiles, JPEG comments, PNG text chunks) and trailing data in public photos; JavaScript,
actions, attachments, forms' scripts, trailing data and disguises in verification documents."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pikepdf
import pytest
from flask import current_app
from flask_babel import force_locale
from pikepdf import Array, Dictionary, Name, String
from PIL import Image, ImageCms, PngImagePlugin
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from marketplace import storage
from marketplace.cooperatives.models import CooperativeDocument
from marketplace.extensions import db
from marketplace.storage import UploadRejected
from tests.factories import AdminFactory, UserFactory
from tests.helpers import login, post_form
from tests.onboarding_helpers import fill_steps_1_to_3, release, upload_documents
from tests.world import build_world

SCRIPT = b"<script>alert(document.cookie)</script><?php system($_GET['c']); ?>"
ICC = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
MARKERS = {
    "exif": b"EXIF-LEAK-Camera",
    "gps": b"GPS-LEAK-Datum",
    "xmp": b"XMP-LEAK",
    "comment": b"COMMENT-LEAK" + SCRIPT,
    "text": b"TEXT-LEAK" + SCRIPT,
    "itxt": b"ITXT-LEAK",
    "ztxt": b"ZTXT-LEAK",
    "trailer": b"TRAILER-LEAK<html><body>" + SCRIPT + b"</body></html>",
}
# Container names of metadata in each format: none may appear in what we store.
METADATA_SIGNATURES = (b"Exif\x00\x00", b"ICC_PROFILE", b"ICCP", b"iCCP", b"eXIf", b"XMP ")
METADATA_KEYS = ("exif", "xmp", "XML:com.adobe.xmp", "icc_profile", "comment", "Comment")


def upload(data: bytes, filename: str) -> FileStorage:
    return FileStorage(stream=io.BytesIO(data), filename=filename)


def exif_bytes() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = MARKERS["exif"].decode()  # Make
    gps = exif.get_ifd(0x8825)
    gps[2] = (33.0, 55.0, 12.0)  # GPSLatitude
    gps[4] = (4.0, 25.0, 30.0)  # GPSLongitude
    gps[0x12] = MARKERS["gps"].decode()  # GPSMapDatum
    return exif.tobytes()


def xmp_bytes() -> bytes:
    return (
        b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/'
        b'22-rdf-syntax-ns#"><rdf:Description>' + MARKERS["xmp"] + b"</rdf:Description>"
        b"</rdf:RDF></x:xmpmeta>"
    )


def picture(size=(900, 700)) -> Image.Image:
    image = Image.new("RGB", size, (200, 120, 40))
    image.paste((20, 90, 160), (0, 0, size[0] // 2, size[1]))
    return image


def hostile_jpeg(size=(900, 700)) -> bytes:
    out = io.BytesIO()
    picture(size).save(
        out,
        "JPEG",
        exif=exif_bytes(),
        xmp=xmp_bytes(),
        icc_profile=ICC,
        comment=MARKERS["comment"],
    )
    return out.getvalue() + MARKERS["trailer"]


def hostile_png(size=(900, 700)) -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", MARKERS["text"].decode())
    info.add_itxt("XML:com.adobe.xmp", xmp_bytes().decode() + MARKERS["itxt"].decode())
    info.add_text("Author", MARKERS["ztxt"].decode(), zip=True)
    out = io.BytesIO()
    picture(size).save(out, "PNG", pnginfo=info, exif=exif_bytes(), icc_profile=ICC)
    return out.getvalue() + MARKERS["trailer"]


def hostile_webp(size=(900, 700)) -> bytes:
    out = io.BytesIO()
    picture(size).save(out, "WEBP", exif=exif_bytes(), xmp=xmp_bytes(), icc_profile=ICC)
    return out.getvalue() + MARKERS["trailer"]


HOSTILE_IMAGES = {"jpg": hostile_jpeg, "png": hostile_png, "webp": hostile_webp}


def assert_clean_image(content: bytes, label: str) -> None:
    """Neither the bytes nor what Pillow reads from them hold any of the planted metadata."""
    for name, marker in MARKERS.items():
        assert marker not in content, f"{label}: {name} kept"
    assert SCRIPT not in content, label
    assert b"<html" not in content, label
    assert ICC[36:128] not in content, f"{label}: ICC profile kept"
    for signature in METADATA_SIGNATURES:
        assert signature not in content, f"{label}: {signature!r} kept"
    with Image.open(io.BytesIO(content)) as image:
        image.load()
        for key in METADATA_KEYS:
            assert key not in image.info, f"{label}: info[{key!r}]"
        assert not any(isinstance(v, str | bytes) and b"LEAK" in _b(v) for v in image.info.values())
        assert not image.getexif(), f"{label}: EXIF"


def _b(value: str | bytes) -> bytes:
    return value.encode() if isinstance(value, str) else value


def test_the_hostile_samples_really_carry_their_metadata():
    """The samples hold what the tests say they hold (else the tests below prove nothing)."""
    for kind, make in HOSTILE_IMAGES.items():
        data = make()
        assert data.endswith(MARKERS["trailer"]), kind
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            assert image.info.get("icc_profile") == ICC, kind
            assert image.getexif()[0x010F] == MARKERS["exif"].decode(), kind
            assert image.getexif().get_ifd(0x8825)[0x12] == MARKERS["gps"].decode(), kind
            assert MARKERS["xmp"] in _b(image.info.get("xmp") or image.info["XML:com.adobe.xmp"])
    with Image.open(io.BytesIO(hostile_jpeg())) as image:
        assert image.info["comment"] == MARKERS["comment"]
    with Image.open(io.BytesIO(hostile_png())) as image:
        image.load()
        assert image.text["Comment"] == MARKERS["text"].decode()
        assert image.text["Author"] == MARKERS["ztxt"].decode()
        assert MARKERS["itxt"].decode() in image.text["XML:com.adobe.xmp"]


# --- point 4: public photos ----------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(HOSTILE_IMAGES))
def test_no_rendition_keeps_any_metadata_or_trailing_data(app, kind):
    stored = storage.save_image(upload(HOSTILE_IMAGES[kind](), f"photo.{kind}"), "product")
    folder = Path(app.config["MEDIA_DIR"])
    expected = {f"{stored.name}-original.{kind}"} | {
        f"{stored.name}-{size}.{fmt}" for size in storage.SIZES for fmt in ("webp", "jpg")
    }
    assert {p.name for p in folder.iterdir()} == expected
    for name in sorted(expected):
        assert_clean_image((folder / name).read_bytes(), name)
    assert (stored.width, stored.height) == (900, 700)


def test_colours_survive_dropping_the_icc_profile(app):
    stored = storage.save_image(upload(hostile_jpeg(), "photo.jpg"), "product")
    card = Path(app.config["MEDIA_DIR"]) / f"{stored.name}-card.jpg"
    with Image.open(card) as image:
        left = image.convert("RGB").getpixel((image.width // 4, image.height // 2))
        right = image.convert("RGB").getpixel((3 * image.width // 4, image.height // 2))
    assert all(abs(a - b) <= 8 for a, b in zip(left, (20, 90, 160), strict=True)), left
    assert all(abs(a - b) <= 8 for a, b in zip(right, (200, 120, 40), strict=True)), right


def test_transparent_png_keeps_its_transparency(app):
    image = Image.new("RGBA", (300, 200), (0, 0, 0, 0))
    image.paste((200, 40, 40, 255), (0, 0, 150, 200))
    out = io.BytesIO()
    image.save(out, "PNG", icc_profile=ICC)
    stored = storage.save_image(upload(out.getvalue(), "logo.png"), "logo")
    original = Path(app.config["MEDIA_DIR"]) / f"{stored.name}-original.png"
    with Image.open(original) as kept:
        assert "icc_profile" not in kept.info
        assert kept.convert("RGBA").getpixel((250, 100))[3] == 0
        assert kept.convert("RGBA").getpixel((50, 100)) == (200, 40, 40, 255)


def test_photos_uploaded_by_a_seller_are_served_clean(app):
    """Through the seller's product form and the public /media/ URLs."""
    from tests.form_filler import submit

    w = build_world()
    before = {image.stored_name for image in w.product_a.images}
    client = app.test_client()
    login(client, w.member_a)
    response = submit(
        client,
        f"/en/dashboard/products/{w.product_a.id}/edit",
        {},
        having={"images"},
        files={"images": (io.BytesIO(hostile_jpeg()), "photo.jpg", "image/jpeg")},
        content_type="multipart/form-data",
    )
    assert response.status_code in (302, 303), response.get_data(as_text=True)[:2000]
    db.session.expire_all()
    (name,) = {image.stored_name for image in w.product_a.images} - before
    release()
    for size in storage.SIZES:
        for fmt in ("webp", "jpg"):
            with client.get(f"/media/{name}-{size}.{fmt}") as served:
                assert served.status_code == 200
                assert_clean_image(served.get_data(), f"{size}.{fmt}")


# --- point 5: verification documents ------------------------------------------------------

PDF_LEAKS = (
    b"OPENACTION-LEAK",
    b"NAMES-JS-LEAK",
    b"DOC-AA-LEAK",
    b"PAGE-AA-LEAK",
    b"FIELD-AA-LEAK",
    b"LINK-JS-LEAK",
    b"NEXT-JS-LEAK",
    b"URI-JS-LEAK",
    b"LAUNCH-LEAK",
    b"ATTACHMENT-LEAK",
    b"EMBEDDED-LEAK",
    b"XFA-LEAK",
    b"TRAILER-LEAK",
)
ACTIVE_PDF_NAMES = (
    b"/JavaScript",
    b"/JS",
    b"/OpenAction",
    b"/AA",
    b"/Launch",
    b"/EmbeddedFiles",
    b"/EmbeddedFile",
    b"/EF",
    b"/FileAttachment",
    b"/XFA",
)


def _js(text: str) -> Dictionary:
    return Dictionary(Type=Name.Action, S=Name.JavaScript, JS=String(text))


def hostile_pdf() -> bytes:
    """One page of text carrying every kind of active content a viewer might run, a link
    worth keeping, and HTML after the end of the file."""
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(595, 842))
    page = pdf.pages[0]
    font = pdf.make_indirect(
        Dictionary(Type=Name.Font, Subtype=Name.Type1, BaseFont=Name.Helvetica)
    )
    page.Resources = Dictionary(Font=Dictionary(F1=font))
    page.Contents = pdf.make_stream(b"BT /F1 12 Tf 72 760 Td (Statuts de la cooperative) Tj ET")
    pdf.Root.OpenAction = pdf.make_indirect(
        Dictionary(
            Type=Name.Action,
            S=Name.JavaScript,
            JS=pdf.make_stream(b"app.alert('OPENACTION-LEAK')"),
        )
    )
    attachment = pdf.make_stream(b"<html>ATTACHMENT-LEAK</html>", Type=Name.EmbeddedFile)
    attached = pdf.make_indirect(
        Dictionary(Type=Name.Filespec, F=String("a.html"), EF=Dictionary(F=attachment))
    )
    embedded = pdf.make_indirect(
        Dictionary(
            Type=Name.Filespec,
            F=String("b.exe"),
            EF=Dictionary(F=pdf.make_stream(b"EMBEDDED-LEAK", Type=Name.EmbeddedFile)),
        )
    )
    pdf.Root.Names = Dictionary(
        JavaScript=Dictionary(Names=Array([String("init"), _js("NAMES-JS-LEAK")])),
        EmbeddedFiles=Dictionary(Names=Array([String("b.exe"), embedded])),
    )
    pdf.Root.AA = Dictionary(WC=_js("DOC-AA-LEAK"))
    page.AA = Dictionary(O=_js("PAGE-AA-LEAK"))
    rect = Array([72, 700, 200, 720])
    widget = pdf.make_indirect(
        Dictionary(
            Type=Name.Annot,
            Subtype=Name.Widget,
            Rect=rect,
            FT=Name.Tx,
            T=String("name"),
            AA=Dictionary(K=_js("FIELD-AA-LEAK")),
        )
    )
    page.Annots = pdf.make_indirect(
        Array(
            [
                Dictionary(
                    Type=Name.Annot,
                    Subtype=Name.Link,
                    Rect=rect,
                    A=Dictionary(S=Name.Launch, F=String("LAUNCH-LEAK.exe")),
                ),
                Dictionary(Type=Name.Annot, Subtype=Name.Link, Rect=rect, A=_js("LINK-JS-LEAK")),
                Dictionary(
                    Type=Name.Annot,
                    Subtype=Name.Link,
                    Rect=rect,
                    A=Dictionary(
                        S=Name.URI, URI=String("https://souk.example/"), Next=_js("NEXT-JS-LEAK")
                    ),
                ),
                Dictionary(
                    Type=Name.Annot,
                    Subtype=Name.Link,
                    Rect=rect,
                    A=Dictionary(S=Name.URI, URI=String("javascript:alert('URI-JS-LEAK')")),
                ),
                Dictionary(Type=Name.Annot, Subtype=Name.FileAttachment, Rect=rect, FS=attached),
                widget,
            ]
        )
    )
    pdf.Root.AcroForm = Dictionary(
        Fields=Array([widget]), XFA=pdf.make_stream(b"<xdp:xdp>XFA-LEAK</xdp:xdp>")
    )
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue() + b"\n" + MARKERS["trailer"]


def expanded_pdf(data: bytes) -> bytes:
    """The whole PDF with every stream decoded and no object streams: what a reader sees."""
    out = io.BytesIO()
    with pikepdf.open(io.BytesIO(data)) as pdf:
        pdf.save(
            out,
            qdf=True,
            compress_streams=False,
            stream_decode_level=pikepdf.StreamDecodeLevel.all,
            object_stream_mode=pikepdf.ObjectStreamMode.disable,
        )
    return out.getvalue()


def has_name(plain: bytes, name: bytes) -> bool:
    """Whether the PDF name ``name`` (not a longer name starting with it) occurs."""
    return re.search(re.escape(name) + rb"(?![A-Za-z0-9#])", plain) is not None


def test_the_hostile_pdf_really_carries_its_active_content():
    plain = expanded_pdf(hostile_pdf())
    for leak in PDF_LEAKS:
        assert leak in plain + MARKERS["trailer"], leak
    for name in ACTIVE_PDF_NAMES:
        assert has_name(plain, name), name


def test_pdf_documents_are_rewritten_without_active_content(app):
    stored = storage.save_document(upload(hostile_pdf(), "statuts.pdf"))
    data = storage.document_path(stored.stored_name).read_bytes()
    assert stored.content_type == "application/pdf"
    assert stored.size_bytes == len(data)
    assert MARKERS["trailer"] not in data and b"<html" not in data
    plain = expanded_pdf(data)
    for leak in PDF_LEAKS:
        assert leak not in plain, leak
    for name in ACTIVE_PDF_NAMES:
        assert not has_name(plain, name), name
    # What the document says, and a plain web link, are kept.
    assert b"(Statuts de la cooperative) Tj" in plain
    assert b"https://souk.example/" in plain
    with pikepdf.open(io.BytesIO(data)) as pdf:
        assert len(pdf.pages) == 1
        assert "/OpenAction" not in pdf.Root and "/AA" not in pdf.Root
        assert "/XFA" not in pdf.Root.AcroForm


def test_a_clean_pdf_keeps_its_pages_and_text(app):
    from marketplace.cooperatives.demo_applications import _pdf

    original = _pdf("Certificat d'immatriculation", ["Numero : RC-2012-4471"])
    stored = storage.save_document(upload(original, "certificat.pdf"))
    plain = expanded_pdf(storage.document_path(stored.stored_name).read_bytes())
    assert b"(Certificat d'immatriculation) Tj" in plain
    assert b"(Numero : RC-2012-4471) Tj" in plain


def refused(data: bytes, filename: str) -> str:
    """The English refusal of ``data``; nothing is written."""
    with pytest.raises(UploadRejected) as info:
        storage.save_document(upload(data, filename))
    folder = Path(current_app.config["UPLOAD_DIR"])
    assert not folder.exists() or not any(folder.iterdir())
    with force_locale("en"):
        return str(info.value.message)


def encrypted_pdf() -> bytes:
    out = io.BytesIO()
    with pikepdf.new() as pdf:
        pdf.add_blank_page()
        pdf.save(out, encryption=pikepdf.Encryption(owner="owner", user="secret"))
    return out.getvalue()


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"%PDF-1.7\n<html><body>" + SCRIPT + b"</body></html>", "This PDF could not be read."),
        (b"%PDF-1.4\n%%EOF\n", "This PDF could not be read."),
        (hostile_pdf()[:400], "This PDF could not be read."),
        (encrypted_pdf(), "This PDF is protected by a password"),
    ],
    ids=["pdf-magic-then-html", "header-only", "truncated", "password"],
)
def test_pdfs_that_do_not_open_are_refused(app, data, expected):
    assert expected in refused(data, "statuts.pdf")


def test_truncated_images_are_refused_as_documents(app):
    jpeg = hostile_jpeg()
    end = jpeg.index(b"\xff\xd9")
    assert "could not be read" in refused(jpeg[: end // 2], "scan.jpg")
    png = hostile_png()
    assert "could not be read" in refused(png[: len(png) // 2], "scan.png")


def jpeg_html_polyglot() -> bytes:
    """A JPEG whose comment opens an HTML page that its trailing bytes finish."""
    out = io.BytesIO()
    picture((400, 300)).save(out, "JPEG", comment=b"<html><body>" + SCRIPT + b"<!--")
    return out.getvalue() + b"-->" + SCRIPT + b"</body></html>"


@pytest.mark.parametrize(
    ("make", "filename", "content_type"),
    [
        (jpeg_html_polyglot, "scan.jpg", "image/jpeg"),
        (hostile_jpeg, "scan.jpg", "image/jpeg"),
        (hostile_png, "scan.png", "image/png"),
    ],
    ids=["jpeg-html-polyglot", "jpeg-metadata", "png-metadata"],
)
def test_image_documents_are_re_encoded_without_metadata(app, make, filename, content_type):
    stored = storage.save_document(upload(make(), filename))
    assert stored.content_type == content_type
    data = storage.document_path(stored.stored_name).read_bytes()
    assert stored.size_bytes == len(data)
    assert_clean_image(data, filename)
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == ("JPEG" if filename.endswith(".jpg") else "PNG")


def test_documents_go_through_the_application_form_clean_and_are_downloaded(app, client):
    """The applicant's step 4: a refused "PDF" says why on the form; the hostile PDF and
    the polyglot are stored clean and served to the admin as attachments, never sniffed."""
    login(client, UserFactory())
    fill_steps_1_to_3(client)
    fake = b"%PDF-1.7\n<html><body>" + SCRIPT + b"</body></html>"
    response = upload_documents(client, {"statutes": (fake, "statuts.pdf")})
    assert response.status_code == 400
    assert "This PDF could not be read." in response.get_data(as_text=True)
    assert not Path(app.config["UPLOAD_DIR"]).exists() or not any(
        Path(app.config["UPLOAD_DIR"]).iterdir()
    )

    response = upload_documents(
        client,
        {
            "statutes": (hostile_pdf(), "statuts.pdf"),
            "registration_certificate": (jpeg_html_polyglot(), "certificat.jpg"),
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    response = post_form(client, "/en/apply/step/5", {"confirm": "y"})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]

    admin = app.test_client()
    login(admin, AdminFactory())
    documents = db.session.scalars(select(CooperativeDocument)).all()
    assert {d.content_type for d in documents} == {"application/pdf", "image/jpeg"}
    release()
    for document in documents:
        with admin.get(f"/en/dashboard/documents/{document.id}") as served:
            assert served.status_code == 200
            assert served.mimetype == document.content_type
            assert served.headers["Content-Disposition"].startswith("attachment")
            assert served.headers["X-Content-Type-Options"] == "nosniff"
            body = served.get_data()
        assert len(body) == document.size_bytes
        assert SCRIPT not in body and b"<html" not in body and b"LEAK" not in body
        if document.content_type == "application/pdf":
            assert b"LEAK" not in expanded_pdf(body)
