"""Input folders written from small tables, and the arguments of `fiberbill run`."""

from __future__ import annotations

import csv
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

# The smallest valid network: one provider, one product, one customer, one order, one event.
MINIMAL = {
    "providers": [{"provider_id": "P1", "name": "Fiber One", "currency": "EUR"}],
    "products": [
        {
            "product_id": "PR1",
            "provider_id": "P1",
            "name": "Fast",
            "billing_cycle": "monthly",
            "monthly_price": "60.00",
            "start_fee": "99.00",
        }
    ],
    "customers": [{"customer_id": "C1", "name": "Ann", "collection_method": "manual"}],
    "orders": [
        {
            "order_id": "O1",
            "customer_id": "C1",
            "product_id": "PR1",
            "connection_id": "K1",
            "ordered_at": "2026-01-05",
        }
    ],
    "activation_events": [
        {
            "event_id": "E1",
            "order_id": "O1",
            "event": "activated",
            "occurred_at": "2026-01-10T09:00:00Z",
        }
    ],
}


def write_table(folder: Path, name: str, rows: list[dict], file_name: str | None = None) -> Path:
    """Write rows as NAME.csv (header from the union of keys, in first-seen order)."""
    header: list[str] = []
    for row in rows:
        header += [k for k in row if k not in header]
    path = folder / (file_name or f"{name}.csv")
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=header)
        writer.writeheader()
        writer.writerows(rows)
    return path


def write_tables(folder: Path, tables: dict[str, list[dict]]) -> Path:
    """Write each table as NAME.csv into `folder` (made if missing); returns the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, rows in tables.items():
        write_table(folder, name, rows)
    return folder


def run_args(
    folder,
    warehouse,
    *extra: str,
    through: str = "2026-02-01",
    exports=None,
    payments: str | None = "none",
) -> list[str]:
    """`fiberbill run` arguments for a folder and warehouse: without Stripe unless
    `payments="stripe"` (or `--payments` in `extra`), exports beside the warehouse unless
    given."""
    args = ["run", "--data", str(folder), "--through", through, "--warehouse", str(warehouse)]
    if exports is not None:
        args += ["--exports", str(exports)]
    if payments is not None and "--payments" not in extra:
        args += ["--payments", payments]
    return args + list(extra)
