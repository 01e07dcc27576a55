"""Write each published wholesale spec to `<exports>/wholesale/<provider_id>/<YYYY-MM>/`:
spec.parquet, spec.csv, summary.html and manifest.json.

A spec is written in the layout it was published with (`marts.wholesale_specs.layout`,
docs/open-access.md). Layout 2, of every spec made now, adds columns at the end of the
lines (original_kind, product_name, unit_fee, day_fraction, proration, description),
names the provider and the operator in the manifest and the summary, and gives a summary a
finance team can check (readable kinds, thousands separators, adjustments by original
month, the previous month, payment terms). A spec published before layout 2 is written in layout 1
forever, so a provider never receives two versions of one spec.

Files are written atomically (a temporary file, then a rename), manifest last: a folder
with a manifest is a delivered spec. A delivered spec is checked, not rebuilt: its manifest
must name the published spec (provider, month, line count, total, currency, day made) and
every file must still have the manifest's sha256. Anything else is an error, never an
overwrite, because a published spec never changes. A folder without a manifest is an
export that was interrupted: its files are rebuilt and must equal what is there.

A call hashes a delivered file again only when its size or modification time differ from
when it was written or last found to match (`<warehouse>.exports-checked.json`, as make and rsync
decide what changed), so a call's export costs the new specs, not every month ever
published; `verify_exports` (the Dagster check) hashes every file every time.

The lines are written set-based by DuckDB (`COPY`), one spec at a time, from a temporary
copy of the specs still to write. Only the provider's own lines go in its folder, with no
customer data: order, connection, product, dates and amounts (docs/open-access.md).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import jinja2
from babel.dates import format_date
from babel.numbers import format_decimal

from exports.cells import sql_macro
from fiberbill.sqlfiles import SqlFiles
from ingest.loader import connect

# The columns a provider receives, in file order, with their types in spec.parquet, per
# layout. A later layout only adds columns at the end, never renames one.
LAYOUT_1 = {
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
LAYOUTS = {
    1: LAYOUT_1,
    2: LAYOUT_1
    | {
        "original_kind": "varchar",
        "product_name": "varchar",
        "unit_fee": "decimal(18, 2)",
        "day_fraction": "decimal(11, 10)",
        "proration": "varchar",
        "description": "varchar",
    },
}
LAYOUT = max(LAYOUTS)  # the layout of every spec made now (ledger step 91 writes it)
PARQUET_TYPES = LAYOUTS[LAYOUT]
COLUMNS = tuple(PARQUET_TYPES)
DATA_FILES = ("spec.parquet", "spec.csv", "summary.html")
SQL = SqlFiles(Path(__file__).parent / "sql")
TEMPLATES = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"), autoescape=True
)
KIND_LABELS = {
    "recurring": "Recurring fees",
    "start_fee": "Start fees",
    "adjustment": "Adjustments",
}
CORRECTS = {"recurring": "Recurring fee", "start_fee": "Start fee"}
EN = "en_GB"  # a summary's language and number format: English, 12,345.67


class ExportConflict(RuntimeError):
    """A spec on disk differs from the published one: never overwritten."""


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
    checked = _Checked(Path(f"{warehouse}.exports-checked.json"))
    with connect() as con:
        con.execute("attach ? as wh (read_only)", [str(warehouse)])
        todo, specs = [], _published(con, months)
        try:
            for spec in specs:
                manifest = _manifest(spec)
                folder = spec_folder(root, spec["provider_id"], spec["spec_month"])
                if (folder / "manifest.json").exists():
                    _check_delivered(folder, manifest, checked)
                else:
                    todo.append((folder, spec))
            if todo:
                _write(con, todo, checked)
        finally:
            checked.save()
    return {"written": len(todo), "unchanged": len(specs) - len(todo)}


class _Checked:
    """Files written with, or found to match, their manifest's sha256, with the size and
    modification time they had then: a file that still has both is not hashed again. Kept beside the
    warehouse, not among the exports a provider receives; a missing or unreadable record
    only means every file is hashed once more. Without a path, every file is hashed."""

    def __init__(self, path: Path | None = None):
        self.path, self.files, self.changed = path, {}, False
        try:
            self.files = json.loads(path.read_text()) if path else {}
        except (OSError, ValueError):
            pass

    def matches(self, file: Path, sha256: str) -> bool:
        stat = file.stat()
        if self.files.get(str(file)) == [stat.st_size, stat.st_mtime_ns, sha256]:
            return True
        if _sha256(file.read_bytes()) != sha256:
            return False
        self.remember(file, sha256)
        return True

    def remember(self, file: Path, sha256: str) -> None:
        """`file` has `sha256`: found so, or just written with it."""
        stat = file.stat()
        self.files[str(file)], self.changed = [stat.st_size, stat.st_mtime_ns, sha256], True

    def save(self) -> None:
        if self.changed and self.path:
            temporary = self.path.with_name(self.path.name + ".tmp")
            temporary.write_text(json.dumps(self.files, sort_keys=True))
            os.replace(temporary, self.path)


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
        folder = spec_folder(root, spec["provider_id"], spec["spec_month"])
        if not (folder / "manifest.json").exists():
            problems.append(f"{folder}: not exported (no manifest.json)")
            continue
        try:
            _check_delivered(folder, _manifest(spec), _Checked())
        except ExportConflict as exc:
            problems.append(str(exc))
    return len(specs), problems


def _published(con: duckdb.DuckDBPyConnection, months: Sequence[str] | None) -> list[dict]:
    sql = (
        "select provider_id, spec_month, line_count, total, currency, generated_on, "
        "coalesce(layout, 1) as layout, provider_name, operator_name, payment_terms_days, "
        "due_date from wh.marts.wholesale_specs"
    )
    if months is not None:
        sql += " where list_contains($months, spec_month)"
    result = con.execute(
        sql + " order by provider_id, spec_month",
        {"months": list(months)} if months is not None else {},
    )
    names = [c[0] for c in result.description]
    return [dict(zip(names, row, strict=True)) for row in result.fetchall()]


def _manifest(spec: dict) -> dict:
    """What manifest.json says besides the files' sha256, in the spec's layout."""
    manifest = {
        "provider_id": spec["provider_id"],
        "spec_month": spec["spec_month"],
        "line_count": spec["line_count"],
        "total": f"{spec['total']:.2f}",
        "currency": spec["currency"],
        "generated_on": spec["generated_on"].isoformat(),
    }
    if spec["layout"] >= 2:
        manifest |= {
            "layout": spec["layout"],
            "provider_name": spec["provider_name"],
            "operator_name": spec["operator_name"],
            "payment_terms_days": spec["payment_terms_days"],
            "due_date": spec["due_date"].isoformat(),
        }
    return manifest


def _check_delivered(folder: Path, expected: dict, checked: _Checked) -> None:
    path = folder / "manifest.json"
    try:
        manifest = json.loads(path.read_text())
        files = manifest.pop("files")
    except (ValueError, KeyError) as exc:
        raise ExportConflict(f"{path}: not a readable manifest ({exc})") from exc
    if manifest != expected:
        field = next(k for k in expected | manifest if manifest.get(k) != expected.get(k))
        raise _conflict(
            path, f"{field} is {manifest.get(field)!r}, published {expected.get(field)!r}"
        )
    if sorted(files) != sorted(DATA_FILES):
        raise _conflict(path, f"lists {sorted(files)}, expected {list(DATA_FILES)}")
    for name in DATA_FILES:
        if not (folder / name).exists():
            raise _conflict(folder / name, "is missing")
        if not checked.matches(folder / name, files[name]):
            raise _conflict(folder / name, "does not match the sha256 in manifest.json")


def _conflict(path: Path, what: str) -> ExportConflict:
    return ExportConflict(
        f"{path}: {what}; a published spec is never overwritten "
        "(move the folder away to investigate)"
    )


def _write(
    con: duckdb.DuckDBPyConnection, todo: list[tuple[Path, dict]], checked: _Checked
) -> None:
    con.execute("create temp table todo_specs (provider_id varchar, spec_month varchar)")
    con.executemany(
        "insert into todo_specs values (?, ?)",
        [[spec["provider_id"], spec["spec_month"]] for _, spec in todo],
    )
    typed = ", ".join(f"cast(l.{c} as {t}) as {c}" for c, t in PARQUET_TYPES.items())
    con.execute(
        f"create temp table todo_lines as select l.provider_id, {typed} "
        "from wh.marts.wholesale_spec_lines as l "
        "semi join todo_specs as t using (provider_id, spec_month) "
        "order by l.provider_id, l.spec_month, l.line_number"
    )
    layouts = {spec["layout"] for _, spec in todo}
    figures = {
        1: _v1_figures(con) if 1 in layouts else {},
        2: _v2_figures(con) if 2 in layouts else {},
    }
    con.execute(sql_macro())
    for folder, spec in todo:
        key = (spec["provider_id"], spec["spec_month"])
        columns = LAYOUTS[spec["layout"]]
        as_text = ", ".join(
            f"cast({c} as varchar) as {c}"
            if t.startswith("decimal")
            else (f"csv_safe({c}) as {c}" if t == "varchar" else c)
            for c, t in columns.items()
        )
        folder.mkdir(parents=True, exist_ok=True)
        # a spec not delivered yet (no manifest) may hold temporary files of a killed
        # export: the caller holds the warehouse's writer lock, so nobody else writes here
        for leftover in folder.glob(".*.tmp-*"):
            leftover.unlink()
        where = "from todo_lines where provider_id = ? and spec_month = ? order by line_number"
        built = {
            "spec.parquet": _copy(
                con,
                f"select {', '.join(columns)} {where}",
                key,
                folder,
                "spec.parquet",
                "format parquet, compression zstd",
            ),
            "spec.csv": _copy(
                con, f"select {as_text} {where}", key, folder, "spec.csv", "format csv, header"
            ),
            "summary.html": _render(folder, spec, figures[spec["layout"]].get(key, {})),
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
            checked.remember(folder / name, files[name])
        text = json.dumps(_manifest(spec) | {"files": files}, indent=2, sort_keys=True) + "\n"
        tmp = _tmp(folder, "manifest.json")
        tmp.write_text(text)
        os.replace(tmp, folder / "manifest.json")


def _copy(con, query: str, key: tuple[str, str], folder: Path, name: str, options: str) -> Path:
    tmp = _tmp(folder, name)
    con.execute(f"copy ({query}) to '{_quoted(tmp)}' ({options})", list(key))
    return tmp


def _v1_figures(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str], dict]:
    """What a layout 1 summary shows, per spec to write (sql/v1_*.sql)."""
    figures: dict[tuple[str, str], dict] = {}
    for provider, month, grouping_set, item, n, amount in SQL.rows(con, "v1_totals"):
        entry = figures.setdefault((provider, month), {"kind": [], "product": []})
        entry[grouping_set].append((item, n, f"{amount:.2f}"))
    for provider, month, activations, terminations in SQL.rows(con, "v1_events"):
        entry = figures.setdefault((provider, month), {"kind": [], "product": []})
        entry["events"] = (activations, terminations)
    return figures


def _v2_figures(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str], dict]:
    """What a layout 2 summary shows, per spec to write (sql/v2_summary.sql)."""
    figures: dict[tuple[str, str], dict] = {}
    for row in SQL.records(con, "v2_summary"):
        entry = figures.setdefault((row["provider_id"], row["spec_month"]), {})
        entry.setdefault(row["section"], []).append(row)
    return figures


def _render(folder: Path, spec: dict, figures: dict) -> Path:
    if spec["layout"] == 1:
        html = TEMPLATES.get_template("summary_v1.html.j2").render(
            **_manifest(spec),
            by_kind=figures.get("kind", []),
            by_product=figures.get("product", []),
            activations=figures.get("events", (0, 0))[0],
            terminations=figures.get("events", (0, 0))[1],
        )
    else:
        html = TEMPLATES.get_template("summary.html.j2").render(**_summary_v2(spec, figures))
    tmp = _tmp(folder, "summary.html")
    tmp.write_text(html, encoding="utf-8")
    return tmp


def _summary_v2(spec: dict, figures: dict) -> dict:
    """The layout 2 summary's text: every number formatted as English writes it."""
    month = date.fromisoformat(spec["spec_month"] + "-01")
    previous = date(month.year - (month.month == 1), (month.month - 2) % 12 + 1, 1)
    months = {row["item"]: row for row in figures.get("month", [])}
    this, before = months.get(spec["spec_month"]), months.get(previous.strftime("%Y-%m"))
    comparison = [
        (label, *_compare(this, before, field, money))
        for label, field, money in (
            ("Orders billed", "n", False),
            ("Active days", "days", False),
            ("Activations", "activations", False),
            ("Terminations", "terminations", False),
            (f"Amount ({spec['currency']})", "amount", True),
        )
    ]
    return {
        "provider_id": spec["provider_id"],
        "provider_name": spec["provider_name"] or spec["provider_id"],
        "operator_name": spec["operator_name"],
        "spec_month": spec["spec_month"],
        "month_label": format_date(month, "MMMM y", locale=EN),
        "previous_label": format_date(previous, "MMMM y", locale=EN),
        "generated_on_label": format_date(spec["generated_on"], "d MMMM y", locale=EN),
        "line_count_label": _number(spec["line_count"]),
        "total_label": _money(spec["total"]),
        "currency": spec["currency"],
        "terms": (
            f"{spec['payment_terms_days']} days: due on "
            f"{format_date(spec['due_date'], 'd MMMM y', locale=EN)}"
        ),
        "comparison": comparison,
        "has_previous": before is not None,
        "by_kind": [
            (KIND_LABELS.get(r["item"], r["item"]), _number(r["n"]), _money(r["amount"]))
            for r in sorted(
                figures.get("kind", []), key=lambda r: list(KIND_LABELS).index(r["item"])
            )
        ],
        "adjustments": [
            (
                format_date(date.fromisoformat(r["item"] + "-01"), "MMMM y", locale=EN),
                CORRECTS.get(r["detail"], r["detail"]),
                _number(r["n"]),
                _money(r["amount"]),
            )
            for r in figures.get("adjustment", [])
        ],
        "by_product": [
            (
                f"{r['detail']} ({r['item']})"
                + (" at " + ", ".join(map(_money, r["fees"])) if r["fees"] else ""),
                _number(r["n"]),
                _money(r["amount"]),
            )
            for r in figures.get("product", [])
        ],
    }


def _compare(this: dict | None, before: dict | None, field: str, money: bool) -> tuple:
    """This month's figure, the previous month's and the change, as text."""
    text = _money if money else _number
    now = (this or {}).get(field) or 0
    if before is None:
        return text(now), "–", "–"
    then = before.get(field) or 0
    change = now - then
    return text(now), text(then), ("+" if change > 0 else "") + text(change)


def _number(value: int) -> str:
    return format_decimal(value, format="#,##0", locale=EN)


def _money(value: Decimal) -> str:
    return format_decimal(value, format="#,##0.00", locale=EN)


def _tmp(folder: Path, name: str) -> Path:
    return folder / f".{name}.tmp-{os.getpid()}"


def _quoted(path: Path) -> str:
    return str(path).replace("'", "''")


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
