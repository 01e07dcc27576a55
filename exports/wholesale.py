"""Write each published wholesale spec to `<exports>/wholesale/<provider_id>/<YYYY-MM>/`:
spec.parquet, spec.csv, summary.html and manifest.json.

Files are written atomically (a temporary file, then a rename), manifest last: a folder
with a manifest is a delivered spec. A delivered spec is checked, not rebuilt: its manifest
must name the published spec (provider, month, line count, total, currency, day made) and
every file must still have the manifest's sha256. Anything else is an error, never an
overwrite, because a published spec never changes. A folder without a manifest is an
export that was interrupted: its files are rebuilt and must equal what is there.

The lines are written set-based by DuckDB (`COPY`), one spec at a time, from a temporary
copy of the specs still to write. Only the provider's own lines go in its folder, with no
customer data: order, connection, product, dates and amounts (docs/open-access.md).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from pathlib import Path

import duckdb
import jinja2

from exports.cells import sql_macro
from ingest.loader import connect

# The columns a provider receives, in file order, with their types in spec.parquet.
PARQUET_TYPES = {
    "spec_month": "varchar",
    "line_number": "integer",
    "kind": "varchar",
    "order_id": "varchar",
    "connection_id": "varchar",
    "product_id": "varchar",
    "service_start": "date",
    "service_end": "date",
    "days": "integer",
    "period_days": "integer",
    "amount": "decimal(18, 2)",
    "currency": "varchar",
    "original_month": "varchar",
}
COLUMNS = tuple(PARQUET_TYPES)
DATA_FILES = ("spec.parquet", "spec.csv", "summary.html")


class ExportConflict(RuntimeError):
    """A spec on disk differs from the published one: never overwritten."""


SUMMARY = jinja2.Environment(autoescape=True).from_string(
    """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>Wholesale specification {{ provider_id }} {{ spec_month }}</title>
<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;margin:1em 0}
td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left}td.n{text-align:right}</style>
</head><body>
<h1>Wholesale specification</h1>
<p>Provider <b>{{ provider_id }}</b>, month <b>{{ spec_month }}</b>, made on
{{ generated_on }}. {{ line_count }} lines, total <b>{{ total }} {{ currency }}</b>.</p>
<h2>By line kind</h2>
<table><tr><th>kind</th><th>lines</th><th>amount</th></tr>
{% for kind, n, amount in by_kind %}<tr><td>{{ kind }}</td><td class="n">{{ n }}</td>
<td class="n">{{ amount }}</td></tr>
{% endfor %}</table>
<h2>By product</h2>
<table><tr><th>product</th><th>lines</th><th>amount</th></tr>
{% for product, n, amount in by_product %}<tr><td>{{ product }}</td><td class="n">{{ n }}</td>
<td class="n">{{ amount }}</td></tr>
{% endfor %}</table>
<h2>Activations and terminations</h2>
<p>{{ activations }} order(s) first active in {{ spec_month }} (start fee lines);
{{ terminations }} order(s) whose service stopped before the month's last day.</p>
</body></html>
"""
)

# Totals by line kind and by product, and activation and termination counts, from the
# published lines alone (so the summary never changes).
SUMMARY_SQL = """
select
    provider_id, spec_month, grouping_set, key, count(*) as n, sum(amount) as amount
from (
    select provider_id, spec_month, 'kind' as grouping_set, kind as key, amount from todo_lines
    union all
    select provider_id, spec_month, 'product', product_id, amount from todo_lines
)
group by all
order by provider_id, spec_month, grouping_set, key
"""
EVENTS_SQL = """
select
    provider_id,
    spec_month,
    count(*) filter (where kind = 'start_fee') as activations,
    count(*) filter (
        where kind = 'recurring'
        and service_end < last_day(cast(spec_month || '-01' as date))
    ) as terminations
from todo_lines
group by all
"""


def spec_folder(root: Path, provider_id: str, spec_month: str) -> Path:
    """`<root>/<provider_id>/<spec_month>`, refused unless it resolves inside `root` (ids
    are checked at ingest too: this is the second lock on the same door)."""
    root = Path(root).resolve()
    folder = (root / provider_id / spec_month).resolve()
    if folder.parent.parent != root or provider_id in ("", ".", ".."):
        raise ExportConflict(
            f"provider_id {provider_id!r}: its spec folder would be outside {root}; nothing "
            "was written"
        )
    return folder


def export_specs(
    warehouse: Path, exports: Path, months: Sequence[str] | None = None
) -> dict[str, int]:
    """Write every published spec (of `months`, when given) not delivered yet; check the
    delivered ones. Returns the counts written and unchanged."""
    root = Path(exports) / "wholesale"
    with connect() as con:
        con.execute("attach ? as wh (read_only)", [str(warehouse)])
        todo, specs = [], _published(con, months)
        for spec in specs:
            manifest = _manifest(*spec)
            folder = spec_folder(root, spec[0], spec[1])
            if (folder / "manifest.json").exists():
                _check_delivered(folder, manifest)
            else:
                todo.append((folder, manifest))
        if todo:
            _write(con, todo)
    return {"written": len(todo), "unchanged": len(specs) - len(todo)}


def verify_exports(
    warehouse: Path, exports: Path, months: Sequence[str] | None = None
) -> tuple[int, list[str]]:
    """Check every published spec's folder against its manifest, without writing anything.
    Returns the number of specs checked and one line per problem (a missing folder too)."""
    root = Path(exports) / "wholesale"
    problems = []
    with connect() as con:
        con.execute("attach ? as wh (read_only)", [str(warehouse)])
        specs = _published(con, months)
    for spec in specs:
        folder = spec_folder(root, spec[0], spec[1])
        if not (folder / "manifest.json").exists():
            problems.append(f"{folder}: not exported (no manifest.json)")
            continue
        try:
            _check_delivered(folder, _manifest(*spec))
        except ExportConflict as exc:
            problems.append(str(exc))
    return len(specs), problems


def _published(con: duckdb.DuckDBPyConnection, months: Sequence[str] | None) -> list[tuple]:
    sql = (
        "select provider_id, spec_month, line_count, total, currency, generated_on "
        "from wh.marts.wholesale_specs"
    )
    if months is not None:
        return con.execute(
            sql + " where list_contains(?, spec_month) order by provider_id, spec_month",
            [list(months)],
        ).fetchall()
    return con.execute(sql + " order by provider_id, spec_month").fetchall()


def _manifest(provider, month, line_count, total, currency, generated_on) -> dict:
    return {
        "provider_id": provider,
        "spec_month": month,
        "line_count": line_count,
        "total": f"{total:.2f}",
        "currency": currency,
        "generated_on": generated_on.isoformat(),
    }


def _check_delivered(folder: Path, expected: dict) -> None:
    path = folder / "manifest.json"
    try:
        manifest = json.loads(path.read_text())
        files = manifest.pop("files")
    except (ValueError, KeyError) as exc:
        raise ExportConflict(f"{path}: not a readable manifest ({exc})") from exc
    if manifest != expected:
        field = next(k for k in expected if manifest.get(k) != expected[k])
        raise _conflict(path, f"{field} is {manifest.get(field)!r}, published {expected[field]!r}")
    if sorted(files) != sorted(DATA_FILES):
        raise _conflict(path, f"lists {sorted(files)}, expected {list(DATA_FILES)}")
    for name in DATA_FILES:
        if not (folder / name).exists():
            raise _conflict(folder / name, "is missing")
        if _sha256((folder / name).read_bytes()) != files[name]:
            raise _conflict(folder / name, "does not match the sha256 in manifest.json")


def _conflict(path: Path, what: str) -> ExportConflict:
    return ExportConflict(
        f"{path}: {what}; a published spec is never overwritten "
        "(move the folder away to investigate)"
    )


def _write(con: duckdb.DuckDBPyConnection, todo: list[tuple[Path, dict]]) -> None:
    con.execute("create temp table todo_specs (provider_id varchar, spec_month varchar)")
    con.executemany(
        "insert into todo_specs values (?, ?)",
        [[m["provider_id"], m["spec_month"]] for _, m in todo],
    )
    typed = ", ".join(f"cast(l.{c} as {t}) as {c}" for c, t in PARQUET_TYPES.items())
    con.execute(
        f"create temp table todo_lines as select l.provider_id, {typed} "
        "from wh.marts.wholesale_spec_lines as l "
        "semi join todo_specs as t using (provider_id, spec_month) "
        "order by l.provider_id, l.spec_month, l.line_number"
    )
    summaries: dict[tuple[str, str], dict] = {}
    for provider, month, grouping_set, key, n, amount in con.execute(SUMMARY_SQL).fetchall():
        entry = summaries.setdefault((provider, month), {"kind": [], "product": []})
        entry[grouping_set].append((key, n, f"{amount:.2f}"))
    events = {(p, m): (a, t) for p, m, a, t in con.execute(EVENTS_SQL).fetchall()}
    con.execute(sql_macro())
    as_text = ", ".join(
        f"cast({c} as varchar) as {c}"
        if c == "amount"
        else (f"csv_safe({c}) as {c}" if PARQUET_TYPES[c] == "varchar" else c)
        for c in COLUMNS
    )
    for folder, manifest in todo:
        key = (manifest["provider_id"], manifest["spec_month"])
        folder.mkdir(parents=True, exist_ok=True)
        # a spec not delivered yet (no manifest) may hold temporary files of a killed
        # export: the caller holds the warehouse's writer lock, so nobody else writes here
        for leftover in folder.glob(".*.tmp-*"):
            leftover.unlink()
        where = "from todo_lines where provider_id = ? and spec_month = ? order by line_number"
        built = {
            "spec.parquet": _copy(
                con,
                f"select {', '.join(COLUMNS)} {where}",
                key,
                folder,
                "spec.parquet",
                "format parquet, compression zstd",
            ),
            "spec.csv": _copy(
                con, f"select {as_text} {where}", key, folder, "spec.csv", "format csv, header"
            ),
            "summary.html": _render(folder, manifest, summaries.get(key), events.get(key, (0, 0))),
        }
        # Nothing is replaced until every file is built and found consistent with the disk.
        for name in DATA_FILES:
            existing = folder / name
            if existing.exists() and existing.read_bytes() != built[name].read_bytes():
                for tmp in built.values():
                    tmp.unlink(missing_ok=True)
                raise _conflict(existing, "differs from the published spec")
        files = {name: _sha256(built[name].read_bytes()) for name in DATA_FILES}
        for name in DATA_FILES:
            os.replace(built[name], folder / name)
        text = json.dumps(manifest | {"files": files}, indent=2, sort_keys=True) + "\n"
        tmp = _tmp(folder, "manifest.json")
        tmp.write_text(text)
        os.replace(tmp, folder / "manifest.json")


def _copy(con, query: str, key: tuple[str, str], folder: Path, name: str, options: str) -> Path:
    tmp = _tmp(folder, name)
    con.execute(f"copy ({query}) to '{_quoted(tmp)}' ({options})", list(key))
    return tmp


def _render(folder: Path, manifest: dict, summary: dict | None, events: tuple) -> Path:
    summary = summary or {"kind": [], "product": []}
    html = SUMMARY.render(
        **manifest,
        by_kind=summary["kind"],
        by_product=summary["product"],
        activations=events[0],
        terminations=events[1],
    )
    tmp = _tmp(folder, "summary.html")
    tmp.write_text(html, encoding="utf-8")
    return tmp


def _tmp(folder: Path, name: str) -> Path:
    return folder / f".{name}.tmp-{os.getpid()}"


def _quoted(path: Path) -> str:
    return str(path).replace("'", "''")


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
