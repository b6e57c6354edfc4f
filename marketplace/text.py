"""Text normalisation for search, the same in Python, SQLite and PostgreSQL.

The database indexes the normalised text produced here and queries are normalised the same
way, so both engines see identical tokens: Arabic without diacritics, tatweel, letter-form
variants or the definite article; French and English without accents and case.
"""

from __future__ import annotations

import html as html_module
import re
import unicodedata

# Arabic diacritics (tashkeel, Quranic marks) and tatweel.
_ARABIC_MARKS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")
_ARABIC_LETTERS = str.maketrans(
    {
        "أ": "ا",
        "إ": "ا",
        "آ": "ا",
        "ٱ": "ا",
        "ة": "ه",
        "ى": "ي",
        "ؤ": "و",
        "ئ": "ي",
        "œ": "oe",  # French ligatures (NFKD keeps them)
        "æ": "ae",
    }
)
_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)  # words; "_" separates (as in FTS5 and tsvector)
_ARABIC = re.compile("[\u0600-\u06ff]")
# Definite article and the common proclitics that precede it (و, ف, ب, ك, ل + ال).
_ARTICLE = re.compile(r"^(?:[وفبكل]?ال|لل)(?=..)")
_FRENCH_ELISION = re.compile(r"^(?:l|d|j|m|n|s|t|c|qu)'", re.IGNORECASE)


def fold(text: str) -> str:
    """Lower-case, strip Latin accents and Arabic marks, unify Arabic letter forms."""
    text = _ARABIC_MARKS.sub("", text)
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch) or _ARABIC.match(ch))
    text = unicodedata.normalize("NFC", text)
    return text.casefold().translate(_ARABIC_LETTERS)


def _strip_article(token: str) -> str:
    return _ARTICLE.sub("", token) if _ARABIC.match(token) else token


def tokens(text: str) -> list[str]:
    """Search tokens of ``text``: folded words, Arabic article removed, French elision cut."""
    text = _FRENCH_ELISION.sub("", text or "")
    text = re.sub(r"\b(?:l|d|j|m|n|s|t|c|qu)['’]", " ", text, flags=re.IGNORECASE)
    return [_strip_article(tok) for tok in _TOKEN.findall(fold(text)) if tok]


def normalize(text: str) -> str:
    """The searchable form of ``text``: its tokens joined by spaces."""
    return " ".join(tokens(text))


_TAG = re.compile(r"<[^>]*>")


def strip_html(html: str) -> str:
    """Plain text of a (sanitised) HTML fragment, for indexing."""
    return html_module.unescape(_TAG.sub(" ", html or ""))
