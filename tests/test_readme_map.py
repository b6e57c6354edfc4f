"""The README's map is the application's: its URL table and its signal table are what
``tools/url_map.py`` prints from ``app.url_map`` and the connected receivers."""

from __future__ import annotations

from pathlib import Path

from tools.url_map import signal_rows, signal_table, url_rows, url_table

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def test_every_url_prefix_and_module_is_in_the_readme_table(app):
    rows = url_rows(app)
    missing = [
        f"{prefix} -> {module}"
        for prefix, modules in rows.items()
        for module in modules
        if not any(
            line.startswith(f"| `{prefix}` |") and f"`{module}`" in line
            for line in README.splitlines()
        )
    ]
    assert not missing, "run `python tools/url_map.py` and update the README:\n" + "\n".join(
        missing
    )
    # every blueprint has at least one row
    blueprints = {rule.endpoint.split(".")[0] for rule in app.url_map.iter_rules()}
    packages = {
        name: app.blueprints[name].import_name for name in blueprints if name in app.blueprints
    }
    for name, package in packages.items():
        path = "`" + package.replace(".", "/")  # a package's modules, or the module itself
        assert any(line.startswith("| `/") and path in line for line in README.splitlines()), (
            f"blueprint {name} ({package}) has no row in the README's map"
        )


def test_the_readme_tables_are_exactly_what_the_tool_prints(app):
    assert url_table(app) in README
    assert signal_table() in README


def test_every_signal_has_a_row_and_the_domain_listeners_are_connected(app):
    rows = signal_rows()
    assert rows.get("order-placed")
    assert rows["payment-methods"] == ["marketplace.payments.services.offered_methods"]
    assert rows["queue-committed"] == ["marketplace.jobs.runner.run_soon"]
