"""Write each published wholesale spec to `<exports>/wholesale/<provider_id>/<YYYY-MM>/`:
spec.parquet, spec.csv, summary.html and manifest.json.

Files are written atomically (a temporary file, then a rename), manifest last. A spec whose
folder already holds the same files is left alone; different content is an error, never an
overwrite, because a published spec never changes. Only the provider's own lines go in its
folder, with no customer data: order, connection, product, dates and amounts.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import duckdb
import jinja2
import polars as pl

# The columns a provider receives, in file order (docs/open-access.md).
COLUMNS = (
    "spec_month",
    "line_number",
    "kind",
    "order_id",
    "connection_id",
    "product_id",
    "service_start",
    "service_end",
    "days",
    "period_days",
    "amount",
    "currency",
    "original_month",
)


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


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def _csv_bytes(rows: list[dict]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow(
            [
                f"{row[c]:.2f}"
                if isinstance(row[c], Decimal)
                else ""
                if row[c] is None
                else str(row[c])
                for c in COLUMNS
            ]
        )
    return out.getvalue().encode("utf-8")


def _parquet_bytes(rows: list[dict]) -> bytes:
    frame = pl.DataFrame(
        {c: [r[c] for r in rows] for c in COLUMNS},
        schema={
            "spec_month": pl.String,
            "line_number": pl.Int32,
            "kind": pl.String,
            "order_id": pl.String,
            "connection_id": pl.String,
            "product_id": pl.String,
            "service_start": pl.Date,
            "service_end": pl.Date,
            "days": pl.Int32,
            "period_days": pl.Int32,
            "amount": pl.Decimal(18, 2),
            "currency": pl.String,
            "original_month": pl.String,
        },
    )
    buffer = io.BytesIO()
    frame.write_parquet(buffer, statistics=False)
    return buffer.getvalue()


def export_specs(warehouse: Path, exports: Path) -> dict[str, int]:
    """Write every published spec not on disk yet. Returns counts written and unchanged."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        specs = con.execute(
            "select provider_id, spec_month, line_count, total, currency, generated_on "
            "from marts.wholesale_specs order by provider_id, spec_month"
        ).fetchall()
        result = con.execute(
            f"select provider_id, {', '.join(COLUMNS)} from marts.wholesale_spec_lines "
            "order by provider_id, spec_month, line_number"
        )
        names = [d[0] for d in result.description]
        lines: dict[tuple[str, str], list[dict]] = defaultdict(list)
        for values in result.fetchall():
            row = dict(zip(names, values, strict=True))
            lines[(row["provider_id"], row["spec_month"])].append(row)
    counts = {"written": 0, "unchanged": 0}
    for provider, month, line_count, total, currency, generated_on in specs:
        rows = lines[(provider, month)]
        folder = Path(exports) / "wholesale" / provider / month
        files = {
            "spec.parquet": _parquet_bytes(rows),
            "spec.csv": _csv_bytes(rows),
            "summary.html": _summary(
                provider, month, line_count, total, currency, generated_on, rows
            ),
        }
        manifest = {
            "provider_id": provider,
            "spec_month": month,
            "line_count": line_count,
            "total": f"{total:.2f}",
            "currency": currency,
            "generated_on": generated_on.isoformat(),
            "files": {name: _sha256(data) for name, data in sorted(files.items())},
        }
        files["manifest.json"] = (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode()
        if _same_on_disk(folder, files):
            counts["unchanged"] += 1
            continue
        folder.mkdir(parents=True, exist_ok=True)
        for name in ("spec.parquet", "spec.csv", "summary.html", "manifest.json"):
            _atomic_write(folder / name, files[name])
        counts["written"] += 1
    return counts


def _same_on_disk(folder: Path, files: dict[str, bytes]) -> bool:
    """True when the folder already holds exactly these files; an error when it differs."""
    present = [name for name in files if (folder / name).exists()]
    if not present:
        return False
    differing = [name for name in present if (folder / name).read_bytes() != files[name]]
    if differing or len(present) != len(files):
        raise ExportConflict(
            f"{folder / (differing or sorted(set(files) - set(present)))[0]}: "
            "differs from the published spec; a published spec is never overwritten "
            "(move the folder away to investigate)"
        )
    return True


def _summary(provider, month, line_count, total, currency, generated_on, rows) -> bytes:
    """Totals by kind and product, and activation and termination counts, from the
    published lines alone (so the file never changes)."""
    year, mon = map(int, month.split("-"))
    month_end = date(year + mon // 12, mon % 12 + 1, 1) - timedelta(days=1)
    by_kind: dict[str, list] = defaultdict(lambda: [0, Decimal(0)])
    by_product: dict[str, list] = defaultdict(lambda: [0, Decimal(0)])
    for row in rows:
        for table, key in ((by_kind, row["kind"]), (by_product, row["product_id"])):
            table[key][0] += 1
            table[key][1] += row["amount"]
    html = SUMMARY.render(
        provider_id=provider,
        spec_month=month,
        line_count=line_count,
        total=f"{total:.2f}",
        currency=currency,
        generated_on=generated_on.isoformat(),
        by_kind=[(k, n, f"{a:.2f}") for k, (n, a) in sorted(by_kind.items())],
        by_product=[(k, n, f"{a:.2f}") for k, (n, a) in sorted(by_product.items())],
        activations=sum(1 for r in rows if r["kind"] == "start_fee"),
        terminations=sum(
            1
            for r in rows
            if r["kind"] == "recurring" and r["service_end"] and r["service_end"] < month_end
        ),
    )
    return html.encode("utf-8")
