"""Saving and serving uploads.

Images (product photos, cooperative logos and covers) are public: they are recognised by
their magic bytes, refused above a pixel count far below Pillow's own limit, decoded fully,
converted to sRGB and re-encoded without any metadata (EXIF, XMP, ICC profile, comments, text
chunks) or payload hidden after the image data, and written to MEDIA_DIR under a random name as
the original plus WebP and JPEG display sizes.

Documents (verification papers) are private: PDF, JPEG or PNG by magic bytes, at most 5 MB.
Images are re-encoded as photos are; PDFs are re-written by qpdf (pikepdf) without JavaScript,
actions, attachments or forms' scripts, nor anything outside the PDF's own objects. A file that
does not parse as what it claims is refused. They are kept under a random name in UPLOAD_DIR,
outside static/, served only by views that check who asks, as attachments.

With ``S3_BUCKET`` set, both go to an S3-compatible bucket instead (marketplace/object_storage.py):
images public, linked from the bucket's public address or a CDN; documents private, streamed
by the same views after the same checks.
"""

from __future__ import annotations

import contextlib
import io
import logging
import re
import secrets
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pikepdf
from flask import current_app, url_for
from flask_babel import lazy_gettext as _l
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError
from sqlalchemy import event
from sqlalchemy.orm import Session

from marketplace import object_storage
from marketplace.database import after_outermost_commit
from marketplace.errors import DomainError
from marketplace.errors import NotFound as DomainNotFound

# Display sizes: the longest side fits in this box (pixels); aspect ratio is kept.
SIZES = {"thumb": 200, "card": 600, "large": 1400}
IMAGE_KINDS = ("product", "logo", "cover")
DEFAULT_MAX_IMAGE_PIXELS = 24_000_000  # 24 megapixels; Pillow's own limit is ~89 MP
_IMAGE_FORMATS = {"jpeg": "JPEG", "png": "PNG", "webp": "WEBP"}
_ORIGINAL_EXT = {"jpeg": "jpg", "png": "png", "webp": "webp"}
_DOCUMENT_TYPES = {
    "pdf": ("application/pdf", "pdf"),
    "jpeg": ("image/jpeg", "jpg"),
    "png": ("image/png", "png"),
}
# Of what Pillow reads besides the pixels, only transparency is part of the picture; the rest
# (EXIF with GPS, XMP, ICC, comments, PNG text) is metadata that encoders would copy out.
_KEPT_IMAGE_INFO = ("transparency",)
_SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
# PDF keys that run or carry something: JavaScript, automatic and additional actions, embedded
# files (name tree and file specifications' contents) and XFA forms (which hold scripts).
_PDF_ACTIVE_KEYS = frozenset(
    {"/OpenAction", "/AA", "/JS", "/JavaScript", "/EmbeddedFiles", "/EF", "/XFA"}
)
_PDF_ACTIVE_ACTIONS = frozenset(
    {
        "/JavaScript",
        "/Launch",
        "/SubmitForm",
        "/ImportData",
        "/GoToR",
        "/GoToE",
        "/Rendition",
        "/RichMediaExecute",
        "/Sound",
        "/Movie",
    }
)
_PDF_ACTIVE_ANNOTATIONS = frozenset(
    {"/FileAttachment", "/RichMedia", "/Screen", "/Movie", "/Sound", "/3D"}
)
_SAFE_URI_SCHEMES = ("http://", "https://", "mailto:")
IMAGE_NAME = re.compile(r"^[0-9a-f]{32}$")
MEDIA_FILE = re.compile(r"^[0-9a-f]{32}-(?:thumb|card|large|original)\.(?:webp|jpg|png)$")
DOCUMENT_NAME = re.compile(r"^[0-9a-f]{32}\.(?:pdf|jpg|png)$")


class UploadRejected(DomainError):
    status_code = 400
    default_message = _l("This file cannot be accepted.")


class StorageFailed(UploadRejected):
    """The file was fine but could not be written (disk full, storage error)."""

    status_code = 503
    default_message = _l("The photo could not be saved. Please try again later.")


@dataclass(frozen=True)
class StoredImage:
    name: str  # random base name; display files are <name>-<size>.webp|.jpg
    width: int
    height: int


@dataclass(frozen=True)
class StoredDocument:
    stored_name: str
    content_type: str
    size_bytes: int
    original_name: str


# --- helpers ------------------------------------------------------------------------------


def max_upload_bytes() -> int:
    return int(current_app.config.get("MAX_UPLOAD_BYTES", 5 * 1024 * 1024))


def max_image_pixels() -> int:
    return int(current_app.config.get("MAX_IMAGE_PIXELS", DEFAULT_MAX_IMAGE_PIXELS))


def media_dir() -> Path:
    path = Path(current_app.config["MEDIA_DIR"])
    path.mkdir(parents=True, exist_ok=True)
    return path


def upload_dir() -> Path:
    path = Path(current_app.config["UPLOAD_DIR"])
    path.mkdir(parents=True, exist_ok=True)
    return path


def _read_limited(source: Any) -> bytes:
    """The bytes of an upload (bytes, FileStorage or file object), refusing more than the cap."""
    limit = max_upload_bytes()
    if isinstance(source, bytes | bytearray | memoryview):
        data = bytes(source)
    else:
        stream = getattr(source, "stream", source)
        if not hasattr(stream, "read"):
            raise UploadRejected(_l("No file was received."))
        data = stream.read(limit + 1)
    if not data:
        raise UploadRejected(_l("The file is empty."))
    if len(data) > limit:
        raise UploadRejected(
            _l("The file is too large: at most %(mb)d MB.", mb=limit // (1024 * 1024))
        )
    return data


def sniff(data: bytes) -> str | None:
    """The real type of ``data`` from its first bytes: jpeg, png, webp, pdf or None."""
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    if data.startswith(b"%PDF-"):
        return "pdf"
    return None


def _open_checked(data: bytes, kind: str) -> Image.Image:
    """Open an image after checking its declared size, before decoding any pixel."""
    try:
        image = Image.open(io.BytesIO(data))
    except Image.DecompressionBombError as exc:
        raise UploadRejected(_too_many_pixels()) from exc
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise UploadRejected(_l("This image could not be read.")) from exc
    if image.format != _IMAGE_FORMATS[kind]:
        raise UploadRejected(_l("The file's content does not match an accepted image type."))
    width, height = image.size
    if width < 1 or height < 1 or width * height > max_image_pixels():
        raise UploadRejected(_too_many_pixels())
    return image


def _too_many_pixels():
    return _l(
        "This image has too many pixels: at most %(mp)d megapixels.",
        mp=max_image_pixels() // 1_000_000,
    )


def _decode(data: bytes, kind: str) -> Image.Image:
    """Every pixel of an image, upright, in sRGB, with no metadata left; refused when any
    part of it cannot be decoded (Pillow raises on truncated data)."""
    image = _open_checked(data, kind)
    try:
        image.seek(0)
        image.load()
        image = ImageOps.exif_transpose(image)
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
        raise UploadRejected(_l("This image could not be read.")) from exc
    image = _to_srgb(image)
    # Encoders copy some of ``info`` by default (JPEG its comment, PNG its ICC profile).
    image.info = {key: image.info[key] for key in _KEPT_IMAGE_INFO if key in image.info}
    return image


def _to_srgb(image: Image.Image) -> Image.Image:
    """Colours as the embedded profile meant them, since the profile itself is dropped."""
    icc = image.info.get("icc_profile")
    if not icc or image.mode not in ("RGB", "RGBA", "CMYK"):
        return image
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        mode = "RGBA" if image.mode == "RGBA" else "RGB"
        return ImageCms.profileToProfile(image, source, _SRGB, outputMode=mode)
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return image  # a broken or unsupported profile: keep the pixels as they are


def _encode_original(image: Image.Image, kind: str, target: Any) -> None:
    """Write ``image`` (from _decode) in its uploaded format to a path or file object."""
    if kind == "jpeg":
        _flatten(image).save(target, "JPEG", quality=90, optimize=True)
    elif kind == "png":
        keep = image if image.mode in ("RGB", "RGBA", "L", "LA", "P") else _flatten(image)
        keep.save(target, "PNG", optimize=True)
    else:
        image.convert("RGBA").save(target, "WEBP", quality=88)


def _flatten(image: Image.Image) -> Image.Image:
    """RGB on a white background (JPEG has no transparency)."""
    if image.mode in ("RGBA", "LA", "P"):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")


def _clean_original_name(name: str | None) -> str:
    """The uploaded file's base name, without any directory part or control character."""
    name = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip(" .")
    return name[:200] or "document"


# --- images -------------------------------------------------------------------------------


def save_image(file_or_bytes: Any, kind: str = "product") -> StoredImage:
    """Check, re-encode and store an uploaded image; raise UploadRejected when refused."""
    if kind not in IMAGE_KINDS:
        raise ValueError(f"unknown image kind {kind!r}")
    data = _read_limited(file_or_bytes)
    detected = sniff(data)
    if detected not in _IMAGE_FORMATS:
        raise UploadRejected(_l("Only JPEG, PNG and WebP images are accepted."))
    image = _decode(data, detected)

    name = secrets.token_hex(16)
    rgb = _flatten(image)
    try:
        original = f"{name}-original.{_ORIGINAL_EXT[detected]}"
        _store_media(original, lambda target: _encode_original(image, detected, target))
        for size, box in SIZES.items():
            resized = rgb.copy()
            resized.thumbnail((box, box), Image.Resampling.LANCZOS)
            _store_media(
                f"{name}-{size}.webp",
                lambda target, im=resized: im.save(target, "WEBP", quality=82, method=2),
            )
            _store_media(
                f"{name}-{size}.jpg",
                lambda target, im=resized: im.save(target, "JPEG", quality=82, optimize=True),
            )
    except OSError as exc:  # disk full, read-only or failing storage: leave nothing behind
        logging.getLogger(__name__).error("could not write image %s: %s", name, exc)
        with contextlib.suppress(OSError):  # a read-only disk holds nothing of it anyway
            delete_image(name)
        raise StorageFailed() from exc
    from marketplace.extensions import db

    db.session.info.setdefault(_UNCOMMITTED_IMAGES, []).append(name)
    return StoredImage(name=name, width=rgb.width, height=rgb.height)


_CONTENT_TYPES = {"webp": "image/webp", "jpg": "image/jpeg", "png": "image/png"}


def _store_media(filename: str, write) -> None:
    """Write one public image file with ``write(target)`` (a path on the local disk, or a
    buffer sent to the bucket); OSError when it cannot be stored."""
    if not object_storage.enabled():
        write(media_dir() / filename)
        return
    buffer = io.BytesIO()
    write(buffer)
    ext = filename.rsplit(".", 1)[-1]
    object_storage.put(
        object_storage.MEDIA_PREFIX + filename, buffer.getvalue(), _CONTENT_TYPES[ext], public=True
    )


# Images saved during a transaction that then rolls back (a later photo that could not be
# written, the database failing at the commit) belong to nothing: they are removed.
_UNCOMMITTED_IMAGES = "storage_uncommitted_images"


# Files the transaction stops referring to (a photo or a document removed): deleted once it
# commits, kept when it rolls back (the row still refers to them).
_DELETE_AFTER_COMMIT = "storage_delete_after_commit"


def delete_after_commit(delete: Callable[[str], None], name: str) -> None:
    """Call ``delete(name)`` (``delete_image``, ``delete_document``) after the current
    transaction commits; never when it rolls back."""
    from marketplace.extensions import db

    db.session.info.setdefault(_DELETE_AFTER_COMMIT, []).append((delete, name))


@after_outermost_commit
def _keep_committed_images(session: Session) -> None:
    session.info.pop(_UNCOMMITTED_IMAGES, None)
    for delete, name in session.info.pop(_DELETE_AFTER_COMMIT, []):
        with contextlib.suppress(OSError, RuntimeError):  # RuntimeError: no app context
            delete(name)


@event.listens_for(Session, "after_soft_rollback")
def _delete_rolled_back_images(session: Session, previous_transaction) -> None:
    if previous_transaction.parent is not None:
        return  # a savepoint: the outer transaction may still commit them
    session.info.pop(_DELETE_AFTER_COMMIT, None)
    for name in session.info.pop(_UNCOMMITTED_IMAGES, []):
        with contextlib.suppress(OSError, RuntimeError):  # RuntimeError: no app context
            delete_image(name)


def display_size(width: int, height: int, size: str = "card") -> tuple[int, int]:
    """Width and height of the ``size`` rendition of an image of ``width`` x ``height``."""
    box = SIZES[size]
    if max(width, height) <= box:
        return width, height
    scale = box / max(width, height)
    return max(1, round(width * scale)), max(1, round(height * scale))


def image_url(name: str | None, size: str = "card", fmt: str = "webp") -> str:
    """Public URL of the ``size`` rendition of a stored image ("webp" or "jpg")."""
    if size not in SIZES:
        raise ValueError(f"unknown image size {size!r}")
    if fmt not in ("webp", "jpg"):
        raise ValueError(f"unknown image format {fmt!r}")
    if not name:
        return url_for("static", filename="img/placeholder.svg")
    if object_storage.enabled():
        return object_storage.media_url(f"{name}-{size}.{fmt}")
    return url_for("catalogue_root.media", name=f"{name}-{size}.{fmt}")


def delete_image(name: str) -> None:
    """Remove every file of a stored image (ignored when already gone)."""
    if not IMAGE_NAME.match(name or ""):
        return
    if object_storage.enabled():
        object_storage.delete_prefix(f"{object_storage.MEDIA_PREFIX}{name}-")
        return
    for path in media_dir().glob(f"{name}-*"):
        path.unlink(missing_ok=True)


# --- documents ----------------------------------------------------------------------------


def save_document(file_storage: Any) -> StoredDocument:
    """Sanitise and store a verification document (PDF, JPEG or PNG, ≤ 5 MB) under a random
    name: what is stored is our own re-writing of it, never the uploaded bytes."""
    data = _read_limited(file_storage)
    detected = sniff(data)
    if detected not in _DOCUMENT_TYPES:
        raise UploadRejected(_l("Only PDF, JPEG and PNG documents are accepted."))
    if detected == "pdf":
        data = _rewrite_pdf(data)
    else:
        buffer = io.BytesIO()
        _encode_original(_decode(data, detected), detected, buffer)
        data = buffer.getvalue()
    content_type, ext = _DOCUMENT_TYPES[detected]
    stored_name = f"{secrets.token_hex(16)}.{ext}"
    if object_storage.enabled():
        try:
            object_storage.put(
                object_storage.DOCUMENT_PREFIX + stored_name, data, content_type, public=False
            )
        except object_storage.ObjectStorageError as exc:
            logging.getLogger(__name__).error("could not store document: %s", exc)
            raise StorageFailed(
                _l("The document could not be saved. Please try again later.")
            ) from exc
    else:
        with open(upload_dir() / stored_name, "xb") as handle:
            handle.write(data)
    original = _clean_original_name(getattr(file_storage, "filename", None))
    return StoredDocument(
        stored_name=stored_name,
        content_type=content_type,
        size_bytes=len(data),
        original_name=original,
    )


def _rewrite_pdf(data: bytes) -> bytes:
    """The PDF re-written from its parsed objects without active content. Writing afresh
    drops comments, unreferenced objects and anything before the header or after the end;
    object streams leave no dictionary in clear text for a browser to sniff."""
    unreadable = _l("This PDF could not be read.")
    try:
        with pikepdf.open(io.BytesIO(data)) as pdf:
            if len(pdf.pages) == 0:
                raise UploadRejected(unreadable)
            _strip_pdf_object(pdf.trailer)
            for obj in pdf.objects:
                _strip_pdf_object(obj)
            out = io.BytesIO()
            pdf.save(
                out,
                encryption=False,
                compress_streams=True,
                object_stream_mode=pikepdf.ObjectStreamMode.generate,
            )
            return out.getvalue()
    except pikepdf.PasswordError as exc:
        raise UploadRejected(
            _l("This PDF is protected by a password: please send it without one.")
        ) from exc
    except UploadRejected:
        raise
    except Exception as exc:  # qpdf reports a damaged file through many kinds of errors
        raise UploadRejected(unreadable) from exc


def _strip_pdf_object(obj: Any) -> None:
    """Remove active entries from a dictionary, stream or array and from the direct objects
    inside it; indirect objects are each visited from ``pdf.objects``."""
    if isinstance(obj, pikepdf.Stream):
        obj = obj.stream_dict
    if isinstance(obj, pikepdf.Dictionary):
        for key in list(obj.keys()):
            value = obj[key]
            if key in _PDF_ACTIVE_KEYS or _is_active_pdf_object(value):
                del obj[key]
            elif _is_direct_container(value):
                _strip_pdf_object(value)
    elif isinstance(obj, pikepdf.Array):
        for index in reversed(range(len(obj))):
            value = obj[index]
            if _is_active_pdf_object(value):
                del obj[index]
            elif _is_direct_container(value):
                _strip_pdf_object(value)


def _is_direct_container(value: Any) -> bool:
    return isinstance(value, pikepdf.Dictionary | pikepdf.Array) and not value.is_indirect


def _is_active_pdf_object(value: Any) -> bool:
    """An action that runs code, opens other files or sends data (including a URI that is
    not a web or mail address), or an annotation that embeds a file or a player."""
    if isinstance(value, pikepdf.Stream):
        value = value.stream_dict
    if not isinstance(value, pikepdf.Dictionary):
        return False
    kind = str(value.get("/S", ""))
    if "/JS" in value or kind in _PDF_ACTIVE_ACTIONS:
        return True
    if kind == "/URI":
        uri = str(value.get("/URI", "")).strip().lower()
        return not uri.startswith(_SAFE_URI_SCHEMES)
    return str(value.get("/Subtype", "")) in _PDF_ACTIVE_ANNOTATIONS


def document_path(stored_name: str) -> Path:
    """Path of a document stored on the local disk; a name that is not one of ours is a 404."""
    if not DOCUMENT_NAME.match(stored_name or ""):
        raise DomainNotFound()
    path = upload_dir() / stored_name
    if not path.is_file():
        raise DomainNotFound()
    return path


def open_document(stored_name: str) -> Path | io.BytesIO:
    """A stored document for ``send_file``, from the disk or the bucket (streamed by the
    view after its access check, never a public link); a name not ours is a 404."""
    if not object_storage.enabled():
        return document_path(stored_name)
    if not DOCUMENT_NAME.match(stored_name or ""):
        raise DomainNotFound()
    data = object_storage.get(object_storage.DOCUMENT_PREFIX + stored_name)
    if data is None:
        raise DomainNotFound()
    return io.BytesIO(data)


def delete_document(stored_name: str) -> None:
    if not DOCUMENT_NAME.match(stored_name or ""):
        return
    if object_storage.enabled():
        object_storage.delete(object_storage.DOCUMENT_PREFIX + stored_name)
        return
    (upload_dir() / stored_name).unlink(missing_ok=True)
