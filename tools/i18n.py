"""Translation catalogs: extract, update, apply translations, check completeness.

    python tools/i18n.py update            extract messages.pot and merge it into ar/fr/en
    python tools/i18n.py missing [PATH…]   untranslated or fuzzy ar/fr msgids (JSON), only those
                                           used under the given paths when any are given
    python tools/i18n.py apply FILE.json   fill translations: {"msgid": {"ar": "…", "fr": "…"}}
                                           (plural entries take a list of forms per locale)
    python tools/i18n.py check             fail if messages.pot is stale or a catalog incomplete

English is the source language: its msgstr is the msgid itself, filled automatically.
Every command that writes takes translations/.lock, so several people can run them at once.
"""

from __future__ import annotations

import fcntl
import json
import subprocess  # nosec B404 - runs pybabel from the project's own virtualenv
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "translations"
POT = TRANSLATIONS / "messages.pot"
LOCALES = ("ar", "fr", "en")
PYBABEL = str(Path(sys.executable).with_name("pybabel"))


def po_path(locale: str) -> Path:
    return TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po"


@contextmanager
def locked():
    TRANSLATIONS.mkdir(exist_ok=True)
    with open(TRANSLATIONS / ".lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def extract(target: Path) -> None:
    subprocess.run(
        [
            PYBABEL,
            "-q",
            "extract",
            "-F",
            str(ROOT / "babel.cfg"),
            "-k",
            "_l",
            "-k",
            "lazy_gettext",
            "--add-comments=Translators:",
            "--sort-by-file",
            "--no-wrap",
            # Babel skips folders starting with "_" by default; templates/_macros has strings.
            "--ignore-dirs=.* __pycache__ node_modules",
            "--project=souk-draa-tafilalet",
            "-o",
            str(target),
            ".",
        ],
        check=True,
        cwd=ROOT,
    )


def update() -> None:
    with locked():
        extract(POT)
        for locale in LOCALES:
            po = po_path(locale)
            action = "update" if po.exists() else "init"
            args = [PYBABEL, "-q", action, "-i", str(POT), "-d", str(TRANSLATIONS), "-l", locale]
            if action == "update":
                args += ["--no-fuzzy-matching", "--no-wrap", "--ignore-obsolete"]
            subprocess.run(args, check=True, cwd=ROOT)
        fill_english()


def fill_english() -> None:
    catalog = polib.pofile(str(po_path("en")), wrapwidth=0)
    for entry in catalog:
        if entry.msgid_plural:
            entry.msgstr_plural = {0: entry.msgid, 1: entry.msgid_plural}
        else:
            entry.msgstr = entry.msgid
        if "fuzzy" in entry.flags:
            entry.flags.remove("fuzzy")
    catalog.save()


def _incomplete(entry: polib.POEntry) -> bool:
    if entry.obsolete:
        return False
    if "fuzzy" in entry.flags:
        return True
    if entry.msgid_plural:
        return not entry.msgstr_plural or not all(entry.msgstr_plural.values())
    return not entry.msgstr


def missing(paths: tuple[str, ...] = ()) -> dict:
    result: dict = {}
    for locale in ("ar", "fr"):
        for entry in polib.pofile(str(po_path(locale))):
            used_in = {file for file, _line in entry.occurrences}
            if paths and not any(f.startswith(paths) for f in used_in):
                continue
            if _incomplete(entry):
                item = result.setdefault(entry.msgid, {"missing": []})
                item["missing"].append(locale)
                if entry.msgid_plural:
                    item["plural"] = entry.msgid_plural
                if entry.comment:
                    item["comment"] = entry.comment
                item["where"] = sorted(used_in)[:3]
    return result


def apply(path: Path) -> None:
    translations = json.loads(path.read_text(encoding="utf-8"))
    with locked():
        for locale in ("ar", "fr"):
            catalog = polib.pofile(str(po_path(locale)), wrapwidth=0)
            changed = 0
            for entry in catalog:
                value = translations.get(entry.msgid, {}).get(locale)
                if value is None:
                    continue
                if entry.msgid_plural:
                    forms = value if isinstance(value, list) else [value]
                    count = len(entry.msgstr_plural) or (6 if locale == "ar" else 2)
                    forms = (forms + [forms[-1]] * count)[:count]
                    entry.msgstr_plural = dict(enumerate(forms))
                else:
                    entry.msgstr = value
                if "fuzzy" in entry.flags:
                    entry.flags.remove("fuzzy")
                changed += 1
            catalog.save()
            print(f"{locale}: {changed} entries filled")


def check() -> int:
    problems = []
    with tempfile.TemporaryDirectory() as tmp:
        fresh = Path(tmp) / "messages.pot"
        extract(fresh)
        expected = {(e.msgctxt, e.msgid, e.msgid_plural) for e in polib.pofile(str(fresh))}
        current = {(e.msgctxt, e.msgid, e.msgid_plural) for e in polib.pofile(str(POT))}
        if expected != current:
            problems.append(
                f"messages.pot is stale: {len(expected - current)} new, "
                f"{len(current - expected)} removed messages; run `make i18n-update`"
            )
    for locale in LOCALES:
        catalog = polib.pofile(str(po_path(locale)))
        ids = {(e.msgctxt, e.msgid, e.msgid_plural) for e in catalog if not e.obsolete}
        if not expected <= ids:
            problems.append(f"{locale}: {len(expected - ids)} messages missing from the catalog")
        bad = [e.msgid for e in catalog if _incomplete(e)]
        if bad:
            problems.append(f"{locale}: {len(bad)} untranslated or fuzzy, e.g. {bad[:3]}")
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "check"
    if command == "update":
        update()
    elif command == "missing":
        print(json.dumps(missing(tuple(argv[1:])), ensure_ascii=False, indent=1))
    elif command == "apply":
        apply(Path(argv[1]))
    elif command == "check":
        return check()
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
