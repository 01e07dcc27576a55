"""The billing run report of a day, for finance: `<exports>/reports/<YYYY-MM-DD>/`
billing-run.json (amounts as exact decimal text) and billing-run.html (jinja2), read from
the marts as they stand after that day's run. Rewritten on each run of the day: a report
describes the warehouse, unlike a spec it is not a delivered document.
"""

from __future__ import annotations

import json
import os
from datetime import date
from pathlib import Path

import jinja2

from ingest.loader import connect

SECTIONS = {
    "issued_today": """
        select currency, count(*) as invoices, cast(sum(total) as varchar) as total
        from marts.invoices where issue_date = $day group by currency order by currency""",
    "credit_notes_today": """
        select currency, count(*) as credit_notes, cast(sum(amount) as varchar) as amount
        from marts.credit_notes where issue_date = $day group by currency order by currency""",
    "payments_today": """
        select currency, source, count(*) as payments, cast(sum(amount) as varchar) as amount
        from marts.payments where status = 'succeeded' and cast(received_at as date) = $day
        group by currency, source order by currency, source""",
    "invoices_by_status": """
        select status, currency, count(*) as invoices, cast(sum(amount_due) as varchar) as due
        from marts.invoices group by status, currency order by status, currency""",
    "receivables_ageing": """
        select currency,
            cast(sum(current_amount) as varchar) as current,
            cast(sum(past_due_1_30) as varchar) as past_due_1_30,
            cast(sum(past_due_31_60) as varchar) as past_due_31_60,
            cast(sum(past_due_61_90) as varchar) as past_due_61_90,
            cast(sum(past_due_over_90) as varchar) as past_due_over_90,
            cast(sum(total_outstanding) as varchar) as total
        from marts.receivables_ageing group by currency order by currency""",
    "revenue_assurance": """
        select finding, count(*) as findings, sum(days) as days
        from marts.revenue_assurance group by finding order by finding""",
}

PAGE = jinja2.Environment(autoescape=True).from_string(
    """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Billing run {{ day }}</title>
<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;margin:1em 0}
td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left}</style></head><body>
<h1>Billing run {{ day }}</h1>
{% for name, rows in sections.items() %}<h2>{{ name.replace('_', ' ') }}</h2>
{% if rows %}<table><tr>{% for column in rows[0] %}<th>{{ column }}</th>{% endfor %}</tr>
{% for row in rows %}<tr>{% for value in row.values() %}<td>{{ value }}</td>{% endfor %}</tr>
{% endfor %}</table>{% else %}<p>none</p>{% endif %}
{% endfor %}</body></html>
"""
)


def billing_run_report(warehouse: Path, day: date) -> dict[str, list[dict]]:
    """The report's sections, read from the marts."""
    with connect(warehouse, read_only=True) as con:
        sections = {}
        for name, sql in SECTIONS.items():
            cursor = con.execute(sql, {"day": day} if "$day" in sql else None)
            columns = [d[0] for d in cursor.description]
            sections[name] = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
    return sections


def write_billing_run_report(
    warehouse: Path, exports: Path, day: date
) -> tuple[Path, dict[str, list[dict]]]:
    """Write the day's report files (atomically); returns their folder and the sections."""
    sections = billing_run_report(warehouse, day)
    folder = Path(exports) / "reports" / day.isoformat()
    folder.mkdir(parents=True, exist_ok=True)
    files = {
        "billing-run.json": json.dumps({"day": day.isoformat(), **sections}, indent=2, default=str),
        "billing-run.html": PAGE.render(day=day.isoformat(), sections=sections),
    }
    for name, text in files.items():
        tmp = folder / f".{name}.tmp-{os.getpid()}"
        tmp.write_text(text + "\n", encoding="utf-8")
        os.replace(tmp, folder / name)
    return folder, sections
