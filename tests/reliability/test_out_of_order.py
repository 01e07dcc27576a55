"""Out-of-order deliveries lose nothing: a row rejected only because what it references
has not arrived yet waits, is re-checked on every later load, and is billed once the
reference arrives (as a late row of that call)."""

from __future__ import annotations

import duckdb
import polars as pl

from fiberbill.cli import main
from ingest.loader import _in_file_order, connect, load_all, loaded_files, read_inputs
from ingest.settings import Settings
from tests.support.inputs import MINIMAL, run_args, write_table
from tests.support.marts import Marts

O2 = {**MINIMAL["orders"][0], "order_id": "O2", "connection_id": "K2"}
E2 = {"event_id": "E2", "order_id": "O2", "event": "activated", "occurred_at": "2026-01-10"}


def load(folder, con):
    return load_all(con, read_inputs(folder, loaded_files(con)), Settings(), str(folder), None)


def counts(report, table):
    c = next(c for c in report.counts if c.table == table)
    return c.rows_in, c.accepted, c.rejected, c.waiting, c.released, c.still_waiting


def test_an_event_delivered_before_its_order_waits_and_is_accepted_when_it_arrives(
    make_inputs,
):
    folder = make_inputs(activation_events=MINIMAL["activation_events"] + [E2])
    con = connect()
    first = load(folder, con)
    # rows in 2 = accepted 1 + rejected 1, and that rejection is a wait
    assert counts(first, "activation_events") == (2, 1, 1, 1, 0, 0)
    # a later load without the order: still waiting, nothing new
    second = load(folder, con)
    assert counts(second, "activation_events") == (0, 0, 0, 0, 0, 1)
    assert not second.changed
    # the order arrives in its own file: the event is accepted with this load's batch (2:
    # a load that changed nothing left no batch)
    write_table(folder, "orders", [O2], file_name="orders.late.csv")
    third = load(folder, con)
    assert counts(third, "orders") == (1, 1, 0, 0, 0, 0)
    assert counts(third, "activation_events") == (0, 0, 0, 0, 1, 0)
    assert con.execute(
        "select event_id, _file, _row_number, _batch_id from raw.activation_events "
        "order by event_id"
    ).fetchall() == [("E1", "activation_events.csv", 1, 1), ("E2", "activation_events.csv", 2, 2)]
    assert con.execute(
        "select source, file, row_number, outcome from raw.released_rows"
    ).fetchall() == [("activation_events", "activation_events.csv", 2, "accepted")]
    # and it is never loaded twice
    fourth = load(folder, con)
    assert (fourth.counts, fourth.changed) == ([], False)
    assert con.execute("select count(*) from raw.activation_events").fetchone()[0] == 2


def test_raw_rows_are_stored_in_file_and_row_order_whatever_order_they_were_staged_in(
    make_inputs,
):
    """A load appends its rows to `raw` in file and row order. Files staged in that order
    are appended as staged (no sort: ingest/loader.py `_in_file_order`); a re-checked
    waiting row (from an earlier file, staged after the new ones) makes the load sort.
    Read in storage order: a select without `order by`."""
    e3 = {**E2, "event_id": "E3", "order_id": "O1", "occurred_at": "2026-02-01"}
    e4 = {**e3, "event_id": "E4", "occurred_at": "2026-02-02"}
    folder = make_inputs(activation_events=MINIMAL["activation_events"] + [E2])
    con = connect()
    load(folder, con)  # E2 waits for O2
    pl.DataFrame([e3, e4]).write_parquet(folder / "activation_events.x.parquet")
    pl.DataFrame([e4 | {"event_id": "E5"}]).write_parquet(folder / "activation_events.y.parquet")
    write_table(folder, "orders", [O2], file_name="orders.late.csv")
    report = load(folder, con)
    assert counts(report, "activation_events") == (3, 3, 0, 0, 1, 0)
    stored = "select event_id, _file, _row_number from raw.activation_events"
    assert con.execute(stored).fetchall() == [
        ("E1", "activation_events.csv", 1),
        ("E2", "activation_events.csv", 2),  # re-checked: staged last, stored in its place
        ("E3", "activation_events.x.parquet", 1),
        ("E4", "activation_events.x.parquet", 2),
        ("E5", "activation_events.y.parquet", 1),
    ]
    # files staged in order, nothing re-checked: appended as staged
    pl.DataFrame([e4 | {"event_id": f"E{n}"} for n in (6, 7, 8)]).write_parquet(
        folder / "activation_events.z1.parquet"
    )
    write_table(folder, "activation_events", [e4 | {"event_id": "E9"}], "activation_events.z2.csv")
    assert counts(load(folder, con), "activation_events") == (4, 4, 0, 0, 0, 0)
    assert [r[0] for r in con.execute(stored).fetchall()] == [f"E{n}" for n in range(1, 10)]


def test_files_staged_out_of_order_or_mixed_are_sorted_before_they_are_stored():
    frame = pl.DataFrame({"_file": ["a.csv", "a.csv"], "_row_number": [1, 2]})
    assert _in_file_order([frame, frame.with_columns(pl.lit("b.csv").alias("_file"))])
    assert not _in_file_order([frame.with_columns(pl.lit("b.csv").alias("_file")), frame])
    assert not _in_file_order([frame, frame])  # the same file twice
    assert not _in_file_order([frame.reverse()])  # rows not rising
    assert not _in_file_order([pl.DataFrame({"_file": ["a.csv", "b.csv"], "_row_number": [1, 1]})])


def test_a_redelivered_file_supersedes_its_waiting_rows(make_inputs):
    """activation_events.csv is delivered again with E2 corrected to a known order: the
    new row is checked, the old wait ends as superseded, nothing is counted twice."""
    folder = make_inputs(activation_events=MINIMAL["activation_events"] + [E2])
    con = connect()
    load(folder, con)
    write_table(
        folder,
        "activation_events",
        MINIMAL["activation_events"] + [{**E2, "order_id": "O1", "occurred_at": "2026-02-01"}],
    )
    report = load(folder, con)
    assert counts(report, "activation_events") == (2, 2, 0, 0, 0, 0)
    assert con.execute("select outcome from raw.released_rows").fetchall() == [("superseded",)]


def test_a_late_order_is_billed_by_the_call_that_receives_it(tmp_path, make_inputs):
    """O2's activation (Jan 10) arrives in January, its order only after January was run.
    The Feb 1 invoice of the second call bills it as late news: start fee 99.00 +
    Jan 10-31 22/31 x 60 = 42.58 + February 60.00 = 201.58."""
    folder = make_inputs(activation_events=MINIMAL["activation_events"] + [E2])
    warehouse = tmp_path / "wh.duckdb"
    assert main(run_args(folder, warehouse, through="2026-01-31")) == 0
    marts = Marts(warehouse)
    assert marts.rows("select source, row_number, is_waiting from marts.rejected_rows") == [
        ("activation_events", "2", "True")
    ]
    write_table(folder, "orders", [O2], file_name="orders.late.csv")
    assert main(run_args(folder, warehouse, through="2026-02-01")) == 0
    assert marts.rows(
        "select l.order_id, l.kind, l.amount from marts.invoice_lines l "
        "join marts.invoices i using (invoice_number) where i.issue_date = '2026-02-01' "
        "and l.order_id = 'O2' order by l.line_number"
    ) == [
        ("O2", "start_fee", "99.00"),
        ("O2", "recurring", "42.58"),
        ("O2", "recurring", "60.00"),
    ]
    assert marts.rows("select count(*) from marts.rejected_rows") == [("0",)]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute("select count(*) from raw.activation_events").fetchone()[0] == 2
