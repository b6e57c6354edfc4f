"""Only the impact dashboard's step of `make bench`, against the bench's database as the last
run left it (``python -m bench.impact_only [--repeat N]``; BENCH_DB names another database):
prints the dashboard's table and targets as `make bench` reports them, and writes them to
bench/results/impact.json."""

from __future__ import annotations

import argparse
import json
import os
import sys

from bench import run


def _ensure_tables(name: str) -> None:
    """A database seeded before the rollup existed gets its two tables (what the migration
    creates; ``impact_dashboard`` then fills them)."""
    from marketplace import create_app
    from marketplace.extensions import db
    from marketplace.impact.models import ImpactMonth, ImpactSale

    app = create_app("development", SQLALCHEMY_DATABASE_URI=run.sqlalchemy_url(name))
    with app.app_context():
        for model in (ImpactSale, ImpactMonth):
            model.__table__.create(db.engine, checkfirst=True)
        db.engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=50, help="timed calls per range")
    args = parser.parse_args()
    if hasattr(run, "database_exists") and not run.database_exists(run.DB_NAME):
        print(f"no database {run.DB_NAME}: run `make bench` first", file=sys.stderr)
        return 1
    _ensure_tables(run.DB_NAME)
    result = run.impact_dashboard(run.DB_NAME, args.repeat)
    run.RESULTS.mkdir(parents=True, exist_ok=True)
    (run.RESULTS / "impact.json").write_text(json.dumps(result, indent=2) + "\n")
    print(f"rollup: {result['rollup']['lines']} lines rebuilt in {result['rollup']['rebuild_s']} s")
    print("| range | uncached p50 | p95 | p99 | queries | page p50 | page p95 | page queries |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for label, r in result["ranges"].items():
        cold = r["uncached"]
        print(
            f"| {label} | {cold['p50_ms']} | {cold['p95_ms']} | {cold['p99_ms']} | "
            f"{cold['queries']} | {r['p50_ms']} | {r['p95_ms']} | {r['queries']} |"
        )
    ok = all(r["uncached"]["p95_ms"] < 300 and r["p95_ms"] < 300 for r in result["ranges"].values())
    print(f"impact dashboard p95 < 300 ms (uncached and page): {'yes' if ok else 'NO'}")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(run.ROOT))
    os.chdir(run.ROOT)
    sys.exit(main())
