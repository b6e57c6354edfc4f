"""The README's map, generated from the application itself:

- which module answers each URL prefix (from ``app.url_map``), and
- which function listens to each domain signal (from ``marketplace.signals`` once the app is
  created and ``marketplace.connect_receivers`` has run).

``python tools/url_map.py`` prints both tables; tests/test_readme_map.py fails when the
README's copy differs from what this prints.
"""

from __future__ import annotations

import sys
import weakref
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

LOCALE = "<locale:locale>"


def _module_path(module: str) -> str:
    return module.replace(".", "/") + ".py"


def _static(parts: list[str]) -> list[str]:
    """The leading static segments of a URL path."""
    found = []
    for part in parts:
        if not part or part.startswith("<"):
            break
        found.append(part)
    return found


def url_rows(app) -> dict[str, set[str]]:
    """{URL prefix: {module file}}: one prefix per first path segment (after the language
    for page blueprints), split by the second segment where several domains share the first
    (the admin's and the cooperative dashboard's pages)."""
    by_first: dict[str, list[tuple[list[str], str]]] = defaultdict(list)
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            module = "static/ (files)"
        else:
            module = _module_path(app.view_functions[rule.endpoint].__module__)
        parts = rule.rule.split("/")[1:]
        head = "/<locale>" if parts and parts[0] == LOCALE else ""
        if head:
            parts = parts[1:]
        segments = _static(parts)
        first = f"{head}/{segments[0]}" if segments else f"{head}/"
        by_first[first].append((segments[1:2], module))
    rows: dict[str, set[str]] = defaultdict(set)
    for first, entries in by_first.items():
        modules = {module for _, module in entries}
        if len(modules) <= 2:
            rows[first] |= modules
            continue
        for second, module in entries:
            rows[f"{first}/{second[0]}" if second else first].add(module)
    return dict(rows)


def url_table(app) -> str:
    lines = ["| URL prefix | Module |", "| --- | --- |"]
    for prefix in sorted(url_rows(app)):
        modules = ", ".join(f"`{m}`" for m in sorted(url_rows(app)[prefix]))
        lines.append(f"| `{prefix}` | {modules} |")
    return "\n".join(lines)


def signal_rows() -> dict[str, list[str]]:
    """{signal name: [receiver as module.function]} for every signal of marketplace.signals
    and Flask-Login's user_logged_in, as connected now."""
    from flask_login import user_logged_in

    from marketplace import signals

    found = dict(signals.signals.items())
    found["flask_login.user_logged_in"] = user_logged_in
    rows = {}
    for name, signal in found.items():
        receivers = []
        for ref in signal.receivers.values():
            receiver = ref() if isinstance(ref, weakref.ref) else ref
            if receiver is None:
                continue
            module = getattr(receiver, "__module__", "")
            if not module.startswith("marketplace"):
                continue  # test helpers and extensions' own listeners
            receivers.append(f"{module}.{receiver.__qualname__}")
        rows[name] = sorted(receivers)
    return rows


def signal_table() -> str:
    lines = ["| Signal | Listeners |", "| --- | --- |"]
    for name, receivers in sorted(signal_rows().items()):
        listeners = ", ".join(f"`{r}`" for r in receivers) or "none"
        lines.append(f"| `{name}` | {listeners} |")
    return "\n".join(lines)


def main() -> None:
    from marketplace import create_app

    app = create_app("testing")
    print(url_table(app))
    print()
    print(signal_table())


if __name__ == "__main__":
    main()
