"""The sample network generator: deterministic, contract-conformant and realistic."""

from __future__ import annotations

from datetime import date

import duckdb
import pytest

from fiberbill.samples.generator import NetworkSpec, generate
from ingest.loader import load_all, read_inputs
from ingest.settings import load_settings

SPEC = NetworkSpec(subscribers=400, providers=4, start=date(2025, 1, 1), months=8, seed=11)


@pytest.fixture(scope="module")
def network(tmp_path_factory):
    out = tmp_path_factory.mktemp("network")
    counts = generate(SPEC, out)
    con = duckdb.connect()
    report = load_all(con, read_inputs(out), load_settings(out), str(out), None)
    return out, counts, con, report


def test_the_same_seed_writes_the_same_bytes(network, tmp_path):
    out, *_ = network
    generate(SPEC, tmp_path)
    files = sorted(p.name for p in out.iterdir())
    assert files == sorted(p.name for p in tmp_path.iterdir())
    for name in files:
        assert (out / name).read_bytes() == (tmp_path / name).read_bytes(), name


def test_another_seed_writes_another_network(tmp_path):
    generate(NetworkSpec(subscribers=50, months=3, seed=1), tmp_path / "a")
    generate(NetworkSpec(subscribers=50, months=3, seed=2), tmp_path / "b")
    assert (tmp_path / "a" / "orders.csv").read_bytes() != (
        tmp_path / "b" / "orders.csv"
    ).read_bytes()


@pytest.mark.parametrize("subscribers", [1, 10])
def test_a_network_too_small_for_terminations_still_writes_every_table(tmp_path, subscribers):
    counts = generate(NetworkSpec(subscribers=subscribers, months=3, seed=3), tmp_path)
    assert counts["customers"] == subscribers and counts["order_events"] == 0
    header = (tmp_path / "order_events.csv").read_text().splitlines()
    assert header == ["order_id,event,effective_at,recorded_at"]
    report = load_all(duckdb.connect(), read_inputs(tmp_path), load_settings(tmp_path), "x", None)
    assert report.rejected == 0


def test_every_generated_row_is_accepted_and_only_bad_promotion_codes_warn(network):
    out, counts, con, report = network
    assert report.rejected == 0
    assert {c.table: c.accepted for c in report.counts} == counts
    warnings = con.execute(
        "select distinct split_part(reason, ' ', 2) from raw.rejected_rows"
    ).fetchall()
    assert report.warnings > 0 and sorted(w for (w,) in warnings) == ["code", "unknown"]


def test_activation_events_arrive_as_daily_style_delivery_files(network):
    out, *_ = network
    assert sorted(p.name for p in out.glob("activation_events*")) == ["activation_events.2025.csv"]


def scalar(con, sql):
    return con.execute(sql).fetchone()[0]


def test_the_network_has_every_case_billing_must_handle(network):
    _, _, con, _ = network
    assert scalar(con, "select count(distinct currency) from raw.providers") == 2
    assert scalar(con, "select count(distinct billing_cycle) from raw.products") == 2
    assert (
        scalar(con, "select count(*) from raw.products where valid_from > date '1970-01-01'") > 0
    )  # price changes
    assert scalar(con, "select count(distinct retail_billed_by) from raw.products") == 2
    assert scalar(con, "select count(distinct kind) from raw.promotions") == 3
    assert scalar(con, "select count(distinct type) from raw.payment_methods") == 3
    assert scalar(con, "select count(*) from raw.payment_methods where status <> 'active'") > 0
    assert (
        scalar(
            con,
            "select count(*) from raw.customers c where collection_method = 'auto' "
            "and not exists (select 1 from raw.payment_methods p "
            "where p.customer_id = c.customer_id)",
        )
        > 0
    )  # no usable method
    # late recordings, re-activations, same-day deactivations
    assert (
        scalar(
            con,
            "select count(*) from raw.activation_events "
            "where recorded_at::date > occurred_at::date",
        )
        > 0
    )
    assert (
        scalar(
            con,
            "select count(*) from (select order_id from raw.activation_events "
            "where event = 'activated' group by 1 having count(*) > 1)",
        )
        > 0
    )
    assert (
        scalar(
            con,
            "select count(*) from (select order_id, occurred_at::date "
            "from raw.activation_events group by all "
            "having count(distinct event) = 2)",
        )
        > 0
    )
    # cancellations before activation, terminations known in advance and recorded late
    assert (
        scalar(
            con,
            "select count(*) from raw.order_events o where event = 'cancelled' "
            "and not exists (select 1 from raw.activation_events a "
            "where a.order_id = o.order_id)",
        )
        > 0
    )
    assert (
        scalar(
            con,
            "select count(*) from raw.order_events "
            "where event = 'terminated' and recorded_at < effective_at",
        )
        > 0
    )
    assert (
        scalar(
            con,
            "select count(*) from raw.order_events "
            "where event = 'terminated' and recorded_at::date > effective_at",
        )
        > 0
    )
    # network status anomalies
    assert scalar(con, "select count(*) from raw.network_status where status = 'down'") > 0
    assert (
        scalar(
            con,
            """
        select count(*) from raw.network_status s join raw.orders o using (connection_id)
        where s.status_date < (select min(occurred_at)::date from raw.activation_events a
                               where a.order_id = o.order_id)""",
        )
        > 0
    )


def test_sample_payments_pay_issued_manual_invoices_and_load_cleanly(tmp_path):
    """Bill a small network, write its payments, bill on: every payment is accepted (no
    rejected row), some invoices end paid, and the same warehouse writes the same file."""
    from fiberbill import run as runner
    from fiberbill.samples.generator import generate_payments

    spec = NetworkSpec(subscribers=80, providers=2, start=date(2025, 10, 1), months=3, seed=4)
    generate(spec, tmp_path / "net")
    warehouse = tmp_path / "wh.duckdb"
    runner.run(
        tmp_path / "net",
        date(2025, 11, 30),
        warehouse=warehouse,
        exports=tmp_path / "exports",
        payments="none",
        documents=False,
    )
    written = generate_payments(warehouse, tmp_path / "net", seed=1)
    (payments_file,) = (tmp_path / "net").glob("payments.*.csv")
    assert payments_file.name == "payments.2025-11-30.csv"
    first = payments_file.read_bytes()
    assert generate_payments(warehouse, tmp_path / "net", seed=1) == written > 0
    assert payments_file.read_bytes() == first
    runner.run(
        tmp_path / "net",
        spec.end,
        warehouse=warehouse,
        exports=tmp_path / "exports",
        payments="none",
        documents=False,
    )
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert (
            con.execute(
                "select count(*) from marts.rejected_rows where source = 'payments'"
            ).fetchone()[0]
            == 0
        )
        seen = con.execute(
            "select count(*) from read_csv(?) where cast(received_at as date) <= ?",
            [str(payments_file), spec.end],
        ).fetchone()[0]
        assert 0 < seen <= written
        assert con.execute("select count(*) from marts.payments").fetchone()[0] == seen
        assert (
            con.execute(
                "select count(*) from marts.invoices where status = 'paid' and amount_paid > 0"
            ).fetchone()[0]
            > 0
        )
    # the next file pays only what was issued since the last one, under its own ids
    later = generate_payments(warehouse, tmp_path / "net", seed=1, since=date(2025, 11, 30))
    later_file = tmp_path / "net" / f"payments.{spec.end.isoformat()}.csv"
    with duckdb.connect(str(warehouse), read_only=True) as con:
        issued = dict(
            con.execute("select invoice_number, issue_date from marts.invoices").fetchall()
        )
        rows = con.execute(
            "select payment_id, invoice_number from read_csv(?, all_varchar = true)",
            [str(later_file)],
        ).fetchall()
        first_rows = con.execute(
            "select payment_id, invoice_number from read_csv(?, all_varchar = true)",
            [str(payments_file)],
        ).fetchall()
    assert len(rows) == later > 0
    assert all(issued[number] > date(2025, 11, 30) for _, number in rows)
    assert not {i for i, _ in rows} & {i for i, _ in first_rows}
    assert not {n for _, n in rows} & {n for _, n in first_rows}
