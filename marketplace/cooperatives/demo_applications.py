"""Demo data of the onboarding: one pending and one rejected application, so that the admin
queue is not empty after ``make run``. Registered as an extra step of ``flask seed-demo``."""

from __future__ import annotations

import io

from flask_babel import force_locale
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from marketplace import storage
from marketplace.auth.models import Role, User
from marketplace.auth.passwords import hash_password
from marketplace.cooperatives import services
from marketplace.cooperatives.models import Cooperative, CooperativeStatus
from marketplace.demo_data import DEMO_PASSWORD
from marketplace.extensions import db
from marketplace.timeutil import utcnow

APPLICATIONS = [
    {
        "email": "tiwizi@demo.souk.ma",
        "user_name": "Itto Ouhaddou",
        "locale": "ar",
        "identity": {
            "name_ar": "تعاونية تويزا للوز والأعشاب",
            "name_fr": "Coopérative Tiwizi des amandes et plantes",
            "registration_number": "DEMO-MDT-2019-118",
            "province": "midelt",
            "commune": "Tounfite",
            "founded_year": 2019,
            "members_count": 14,
            "women_members_count": 14,
        },
        "contact": {
            "phone": "+212662418305",
            "email": "tiwizi@demo.souk.ma",
            "rib": "011519000001205000534921",
        },
        "story": {
            "story_ar": "أربع عشرة امرأة من تونفيت يجنين اللوز وأعشاب الأطلس المتوسط، "
            "ويجففنها في الظل ويعبئنها يدويا.",
            "story_fr": "Quatorze femmes de Tounfite récoltent les amandes et les plantes du "
            "Moyen Atlas, les sèchent à l'ombre et les conditionnent à la main.",
            "story_en": "Fourteen women from Tounfite gather almonds and Middle Atlas herbs, "
            "dry them in the shade and pack them by hand.",
        },
        "decision": None,
    },
    {
        "email": "assafar@demo.souk.ma",
        "user_name": "Brahim Aït Lhou",
        "locale": "fr",
        "identity": {
            "name_ar": "تعاونية أسفار للزرابي",
            "name_fr": "Coopérative Assafar des tapis",
            "registration_number": "DEMO-ZGR-2021-042",
            "province": "zagora",
            "commune": "Tagounite",
            "founded_year": 2021,
            "members_count": 9,
            "women_members_count": 7,
        },
        "contact": {
            "phone": "+212524847112",
            "email": "",
            "rib": "011519000001205000534921",
        },
        "story": {
            "story_ar": "نساء تاكونيت ينسجن زرابي الصوف بألوان طبيعية من الحناء والرمان.",
            "story_fr": "Les tisserandes de Tagounite nouent des tapis de laine teints au henné "
            "et à l'écorce de grenade.",
            "story_en": "",
        },
        "decision": (
            CooperativeStatus.REJECTED,
            "documents_missing",
            "Le certificat d'immatriculation envoyé est illisible. "
            "Merci de nous adresser une copie nette.",
        ),
    },
]


def _pdf(title: str, lines: list[str]) -> bytes:
    """A small valid one-page PDF (Helvetica, WinAnsi text)."""

    def esc(text: str) -> str:
        raw = text.encode("cp1252", "replace").decode("latin-1")
        return raw.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    stream_lines = ["BT", "/F1 18 Tf", "72 760 Td", f"({esc(title)}) Tj", "/F1 11 Tf"]
    for line in lines:
        stream_lines += ["0 -22 Td", f"({esc(line)}) Tj"]
    stream_lines.append("ET")
    content = "\n".join(stream_lines).encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
        b"<< /Length " + str(len(content)).encode() + b" >>\nstream\n" + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(f"{number} 0 obj\n".encode() + body + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for offset in offsets:
        out.write(f"{offset:010d} 00000 n \n".encode())
    out.write(
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return out.getvalue()


def _documents(identity: dict) -> list:
    name = identity["name_fr"]
    number = identity["registration_number"]
    papers = [
        (
            "statutes",
            "statuts.pdf",
            "Statuts de la coopérative",
            [name, f"Siège : {identity['commune']}", "Article 1 - Objet de la coopérative"],
        ),
        (
            "registration_certificate",
            "certificat-immatriculation.pdf",
            "Certificat d'immatriculation",
            [name, f"Numéro : {number}", "Office du Développement de la Coopération"],
        ),
    ]
    documents = []
    for kind, filename, title, lines in papers:
        upload = FileStorage(io.BytesIO(_pdf(title, lines)), filename=filename)
        documents.append((kind, storage.save_document(upload)))
    return documents


def seed_demo_applications(password: str) -> list[Cooperative]:
    """Create the demo applications that do not exist yet (idempotent); flushes only.
    The applicants log in with ``password``."""
    created = []
    for application in APPLICATIONS:
        number = application["identity"]["registration_number"]
        if services.registration_number_taken(number):
            continue
        user = db.session.scalar(select(User).where(User.email == application["email"]))
        if user is None:
            user = User(
                email=application["email"],
                name=application["user_name"],
                password_hash=hash_password(password),
                locale=application["locale"],
                role=Role.SHOPPER.value,
                email_verified_at=utcnow(),
            )
            db.session.add(user)
            db.session.flush()
        if user.cooperative_id is not None:
            continue
        with force_locale(application["locale"]):
            cooperative = services.create_application(
                user,
                identity=application["identity"],
                contact=application["contact"],
                story=application["story"],
                documents=_documents(application["identity"]),
            )
            if application["decision"] is not None:
                status, code, note = application["decision"]
                services.change_status(cooperative, status, None, reason=note, reason_code=code)
        created.append(cooperative)
    return created


def demo_step(ctx) -> None:
    """``marketplace.demo`` step: a pending and a rejected application."""
    for _cooperative in seed_demo_applications(DEMO_PASSWORD):
        ctx.count("applications")
    for application in APPLICATIONS:
        ctx.logins.append(("applicant", application["email"], DEMO_PASSWORD))
