"""E-mail subjects keep every space when their header is folded (issue #14: an Arabic
subject read "تعاونيتكم:مرحبا" once folded)."""

from __future__ import annotations

from email.header import decode_header, make_header

from hypothesis import given
from hypothesis import strategies as st

from marketplace.mail import OutgoingMail, deliver, encode_subject

ARABIC = "تعاونيتكم: مرحبا بكم في سوق درعة تافيلالت، طلبكم رقم DT-2026-000002 قيد المعالجة"
FRENCH = "Votre commande DT-2026-000002 a été expédiée par la Coopérative Oasis Erfoud"


def test_a_long_arabic_subject_arrives_whole(app, outbox):
    with app.app_context():
        for subject in (ARABIC, FRENCH, "Order DT-2026-000002 shipped"):
            deliver(OutgoingMail("fatima@example.ma", subject, "body", None))
    assert [m["Subject"] for m in outbox()] == [ARABIC, FRENCH, "Order DT-2026-000002 shipped"]


def test_every_line_of_the_header_fits_the_standard_length():
    assert all(len("Subject: " + line) <= 78 for line in encode_subject(ARABIC * 3).split("\n"))


@given(st.text(alphabet=st.sampled_from("ab é ت ع ا و ن ي 12 :،.\u200f"), max_size=200))
def test_any_subject_decodes_back_to_itself(subject):
    expected = " ".join(subject.split())
    assert str(make_header(decode_header(encode_subject(subject)))) == expected
