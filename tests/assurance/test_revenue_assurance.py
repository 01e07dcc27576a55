"""marts.revenue_assurance: network_status against orders and activations.

K1 carries O1 (ordered Jan 5, activated Jan 10, terminated Jan 20 recorded Jan 10). Its
status is up from Jan 5 to Jan 25 except Jan 15-16 (down). K2 has no order and is up Jan
1-3. K3 carries O3, ordered Jan 5 and never activated, up Jan 6-7 and Jan 9.
"""

from __future__ import annotations

from datetime import date, timedelta

from tests.support.inputs import MINIMAL
from tests.support.marts import Marts, run


def days(first: str, last: str, status: str, connection: str) -> list[dict]:
    start, end = date.fromisoformat(first), date.fromisoformat(last)
    return [
        {"connection_id": connection, "status_date": str(start + timedelta(n)), "status": status}
        for n in range((end - start).days + 1)
    ]


def test_each_finding_with_its_first_and_last_day_and_day_count(make_inputs, tmp_path, capsys):
    order = MINIMAL["orders"][0]
    folder = make_inputs(
        orders=[order, {**order, "order_id": "O3", "connection_id": "K3"}],
        order_events=[
            {
                "order_id": "O1",
                "event": "terminated",
                "effective_at": "2026-01-20",
                "recorded_at": "2026-01-10",
            }
        ],
        network_status=days("2026-01-05", "2026-01-14", "up", "K1")
        + days("2026-01-15", "2026-01-16", "down", "K1")
        + days("2026-01-17", "2026-01-25", "up", "K1")
        + days("2026-01-01", "2026-01-03", "up", "K2")
        + days("2026-01-06", "2026-01-07", "up", "K3")
        + days("2026-01-08", "2026-01-08", "down", "K3")
        + days("2026-01-09", "2026-01-09", "up", "K3"),
    )
    warehouse = tmp_path / "wh.duckdb"
    run(folder, warehouse, through="2026-01-31")
    assert Marts(warehouse).rows(
        "select finding, connection_id, order_id, provider_id, first_date, last_date, days "
        "from marts.revenue_assurance order by finding, connection_id, first_date"
    ) == [
        ("active_without_order", "K1", None, None, "2026-01-20", "2026-01-25", "6"),
        ("active_without_order", "K2", None, None, "2026-01-01", "2026-01-03", "3"),
        ("billed_while_down", "K1", "O1", "P1", "2026-01-15", "2026-01-16", "2"),
        ("up_before_activation", "K1", "O1", "P1", "2026-01-05", "2026-01-09", "5"),
        ("up_before_activation", "K3", "O3", "P1", "2026-01-06", "2026-01-07", "2"),
        ("up_before_activation", "K3", "O3", "P1", "2026-01-09", "2026-01-09", "1"),
    ]
    out = capsys.readouterr().out
    assert "revenue assurance: active_without_order: 2 finding(s), 9 day(s)" in out
    assert "revenue assurance: billed_while_down: 1 finding(s), 2 day(s)" in out
    assert "revenue assurance: up_before_activation: 3 finding(s), 8 day(s)" in out


def test_days_after_the_last_run_day_are_not_judged(make_inputs, tmp_path):
    folder = make_inputs(network_status=days("2026-01-01", "2026-01-31", "up", "K9"))
    warehouse = tmp_path / "wh.duckdb"
    run(folder, warehouse, through="2026-01-20")
    assert Marts(warehouse).rows(
        "select finding, first_date, last_date, days from marts.revenue_assurance"
    ) == [("active_without_order", "2026-01-01", "2026-01-20", "20")]
