"""Load the input folder into the warehouse's `raw` schema, set-based, in SQL.

For each table, in dependency order:
1. every file is read as text (ingest.reader), with its file name and 1-based row number;
2. each value is type-checked in one SQL pass; a row with any bad value gets a reason;
3. duplicate keys: within this load the first row in file order wins; a row whose key is
   already loaded is skipped when identical, rejected when different;
4. references to unknown (or rejected) rows are rejected;
5. accepted new rows are appended to `raw.<table>`, rejected rows to `raw.rejected_rows`.

Loading the same files again adds nothing. Rows in = rows accepted + rows rejected, per table.
"""

from __future__ import annotations

import contextlib
import itertools
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb
import polars as pl

from ingest import reader
from ingest.currencies import THREE_DECIMAL, ZERO_DECIMAL, sql_list
from ingest.errors import InputError, WarehouseInUse
from ingest.schema import (
    BOOL,
    CURRENCY,
    DATE,
    EMAIL_PATTERN,
    ENUM,
    INT,
    MONEY,
    MONEY_BOUND,
    NUMBER,
    PATH_ID,
    RATE,
    STR,
    TABLES,
    TIMESTAMP,
    Column,
    Table,
)
from ingest.settings import Settings

SQL_TYPES = {
    STR: "VARCHAR",
    PATH_ID: "VARCHAR",
    DATE: "DATE",
    TIMESTAMP: "TIMESTAMPTZ",
    MONEY: "DECIMAL(18,2)",
    RATE: "DECIMAL(12,6)",
    NUMBER: "DECIMAL(18,6)",
    INT: "BIGINT",
    BOOL: "BOOLEAN",
    CURRENCY: "VARCHAR",
    ENUM: "VARCHAR",
}
META_COLUMNS = "_file VARCHAR, _row_number BIGINT, _batch_id INTEGER, _row_hash VARCHAR"


@dataclass
class TableCount:
    table: str
    rows_in: int = 0
    accepted: int = 0  # new + already loaded
    new: int = 0
    rejected: int = 0  # includes `waiting` (contract: rows in = accepted + rejected)
    warnings: int = 0
    waiting: int = 0  # rejected only for a reference that has not arrived yet
    released: int = 0  # rows of earlier loads that waited and are accepted now
    still_waiting: int = 0  # rows of earlier loads whose reference is still missing


@dataclass
class LoadReport:
    batch_id: int
    counts: list[TableCount] = field(default_factory=list)
    changed: bool = True  # False when the load added no row and no rejection
    files_skipped: int = 0  # files identical to ones loaded before

    @property
    def rejected(self) -> int:
        return sum(c.rejected for c in self.counts)

    @property
    def warnings(self) -> int:
        return sum(c.warnings for c in self.counts)


def connect(path: str | Path = ":memory:", read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection whose session time zone is UTC, whatever the host's TZ: dates cast
    to timestamps, `now()` and every timestamp shown mean the same on every machine. The
    operator's timezone is applied explicitly where the contract asks for it. DuckDB's own
    progress bar is off: it would print into the command's output on a long query."""
    try:
        con = duckdb.connect(str(path), read_only=read_only)
    except duckdb.IOException as exc:
        if "not a valid DuckDB database file" in str(exc):
            raise InputError(f"{path}: not a DuckDB warehouse") from None
        if "Could not set lock" in str(exc):
            raise WarehouseInUse(
                f"{path}: another process is writing it (a billing run); try again when it "
                "has finished (the invoice and customer lists and the portal answer meanwhile)"
            ) from None
        raise
    con.execute("set TimeZone = 'UTC'")
    con.execute("set enable_progress_bar = false")
    return con


def fetch(con: duckdb.DuckDBPyConnection, query: str, params=None) -> list[tuple]:
    """Run one statement and fetch its whole result (DuckDB 2 blocks the connection until a
    result is fully read: TOOLCHAIN G3)."""
    return con.execute(query, params or []).fetchall()


@dataclass
class Outcome:
    """What `transaction` does at the end of its block: commit unless told otherwise."""

    commit: bool = True


@contextlib.contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[Outcome]:
    """One transaction: committed when the block ends (unless it sets `commit` false on
    what it is given), rolled back if the block raises."""
    fetch(con, "begin transaction")
    outcome = Outcome()
    try:
        yield outcome
    except BaseException:
        with contextlib.suppress(duckdb.Error):  # never hide the block's own error
            fetch(con, "rollback")
        raise
    fetch(con, "commit" if outcome.commit else "rollback")


def q(name: str) -> str:
    """Quote an identifier."""
    return '"' + name.replace('"', '""') + '"'


def ensure_raw_schema(con: duckdb.DuckDBPyConnection) -> None:
    fetch(con, "create schema if not exists raw")
    for table in TABLES:
        cols = ", ".join(f"{q(c.name)} {SQL_TYPES[c.kind]}" for c in table.columns)
        extra = ", promotion_warning VARCHAR" if table.name == "orders" else ""
        fetch(con, f"create table if not exists raw.{table.name} ({cols}{extra}, {META_COLUMNS})")
    fetch(
        con,
        """
        create table if not exists raw.load_batches (
            batch_id INTEGER, loaded_at TIMESTAMPTZ, data_dir VARCHAR, first_run_day DATE
        )
        """,
    )
    fetch(
        con,
        """
        create table if not exists raw.rejected_rows (
            batch_id INTEGER, source VARCHAR, file VARCHAR, row_number BIGINT,
            reason VARCHAR, raw VARCHAR, is_warning BOOLEAN
        )
        """,
    )
    fetch(
        con,
        """
        create table if not exists raw.loaded_files (
            batch_id INTEGER, source VARCHAR, file VARCHAR, sha256 VARCHAR
        )
        """,
    )
    fetch(
        con,
        """
        create table if not exists raw.load_counts (
            batch_id INTEGER, source VARCHAR, rows_in BIGINT, accepted BIGINT,
            new_rows BIGINT, rejected BIGINT, warnings BIGINT
        )
        """,
    )
    for column in ("waiting", "released"):
        fetch(con, f"alter table raw.load_counts add column if not exists {column} BIGINT")
    # Rows rejected only because what they reference has not arrived yet: re-checked on
    # every later load, from their raw text, until they are accepted or rejected for good.
    fetch(
        con,
        """
        create table if not exists raw.waiting_rows (
            batch_id INTEGER, source VARCHAR, file VARCHAR, row_number BIGINT, raw VARCHAR
        )
        """,
    )
    # outcome: accepted | rejected (for another reason) | superseded (its file was
    # delivered again, and the new delivery's row is checked instead)
    fetch(
        con,
        """
        create table if not exists raw.released_rows (
            batch_id INTEGER, source VARCHAR, file VARCHAR, row_number BIGINT, outcome VARCHAR
        )
        """,
    )


# A date and time, optionally with seconds and a fraction, then Z, an offset of at most
# +-14:00, or nothing (UTC). Zone names ("Europe/Oslo") are not ISO-8601.
ISO_TIMESTAMP = (
    r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?"
    r"([Zz]|[+-](0\d|1[0-3])(:?[0-5]\d)?|[+-]14(:?00)?)?"
)


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _typed_and_error(col: Column, tz: str) -> tuple[str, str]:
    """SQL for the typed value and for the error message (null when fine) of one column."""
    v = q(col.name)
    shown = f"'''' || {v} || ''''"
    kind = col.kind
    if kind == STR:
        typed, bad = v, "false"
        msg = "''"
    elif kind == DATE:
        typed = (
            f"case when regexp_full_match({v}, '\\d{{4}}-\\d{{2}}-\\d{{2}}') "
            f"then try_cast({v} as date) end"
        )
        bad = f"({typed}) is null"
        msg = f"'not a date (YYYY-MM-DD): ' || {shown}"
    elif kind == PATH_ID:
        safe = f"regexp_full_match({v}, '[A-Za-z0-9._-]+') and {v} not in ('.', '..')"
        typed = f"case when {safe} then {v} end"
        bad = f"({typed}) is null"
        msg = f"'not a safe id (letters, digits, ., _ and - only; it names a folder): ' || {shown}"
    elif kind == TIMESTAMP:
        typed = (
            f"case when regexp_full_match({v}, '\\d{{4}}-\\d{{2}}-\\d{{2}}') "
            f"then timezone({_literal(tz)}, try_cast({v} as timestamp)) "
            f"when regexp_full_match({v}, '{ISO_TIMESTAMP}') "
            f"then try_cast({v} as timestamptz) end"
        )
        bad = f"({typed}) is null"
        msg = f"'not an ISO-8601 timestamp: ' || {shown}"
    elif kind in (MONEY, RATE, NUMBER):
        places = 2 if kind == MONEY else 6
        sql_type = SQL_TYPES[kind]
        typed = f"try_cast({v} as {sql_type})"
        checks = [
            (
                f"not regexp_full_match({v}, '-?\\d+(\\.\\d+)?')",
                f"'not a decimal number: ' || {shown}",
            ),
            (f"{v} like '-%'", f"'negative amount: ' || {shown}"),
            (
                f"not regexp_full_match({v}, '\\d+(\\.\\d{{1,{places}}})?')",
                f"'more than {places} decimal places: ' || {shown}",
            ),
            (f"({typed}) is null", f"'out of range: ' || {shown}"),
            (
                f"({typed}) > {MONEY_BOUND}",
                f"'above the largest amount accepted ({MONEY_BOUND}): ' || {shown}",
            ),
        ]
        if kind == RATE:
            checks.append((f"({typed}) > 1", f"'above 1 (a fraction: 0.25 = 25 %): ' || {shown}"))
        bad = "true"
        msg = "case " + " ".join(f"when {c} then {m}" for c, m in checks) + " end"
        return typed, f"case when {v} is not null then {msg} end"
    elif kind == INT:
        typed = f"case when regexp_full_match({v}, '\\d{{1,9}}') then cast({v} as bigint) end"
        bad = f"({typed}) is null"
        msg = (
            f"case when {v} like '-%' then 'negative number: ' || {shown} "
            f"else 'not a whole number: ' || {shown} end"
        )
    elif kind == BOOL:
        typed = (
            f"case when lower({v}) in ('true', 't', '1', 'yes') then true "
            f"when lower({v}) in ('false', 'f', '0', 'no') then false end"
        )
        bad = f"({typed}) is null"
        msg = f"'not true or false: ' || {shown}"
    elif kind == CURRENCY:
        typed = (
            f"case when regexp_full_match(upper({v}), '[A-Z]{{3}}') "
            f"and upper({v}) not in {sql_list(THREE_DECIMAL)} then upper({v}) end"
        )
        bad = f"({typed}) is null"
        msg = (
            f"case when upper({v}) in {sql_list(THREE_DECIMAL)} then 'a three-decimal "
            f"currency is not supported (amounts are kept to 2 decimals): ' || {shown} "
            f"else 'not an ISO 4217 currency code: ' || {shown} end"
        )
    elif kind == ENUM:
        allowed = ", ".join(_literal(x) for x in col.values)
        typed = f"case when lower({v}) in ({allowed}) then lower({v}) end"
        bad = f"({typed}) is null"
        msg = f"'unknown value ' || {shown} || ' (expected {' | '.join(col.values)})'"
    else:  # pragma: no cover - the schema only uses the kinds above
        raise ValueError(kind)
    return typed, f"case when {v} is not null and {bad} then {msg} end"


def _table_checks(table: Table) -> list[str]:
    """Row-level rules beyond single values, as SQL error expressions over typed columns."""
    if table.name == "promotions":
        return [
            "case when kind = 'percent' and value > 100 then 'value: a percent above 100' end",
            "case when valid_to < valid_from then 'valid_to: before valid_from' end",
            "case when kind = 'fixed' and value <> round(value, 2) "
            "then 'value: a fixed amount has at most 2 decimal places' end",
        ]
    if table.name == "preference_changes":
        return [
            "case when field = 'collection_method' and lower(new_value) not in "
            "('auto', 'manual') then 'new_value: unknown value ' || '''' || new_value || '''' "
            "|| ' (expected auto | manual)' end",
            "case when field = 'invoice_email' and not regexp_full_match(new_value, "
            f"{_literal(EMAIL_PATTERN)}) then 'new_value: not an e-mail address: ' "
            "|| '''' || new_value || '''' end",
        ]
    if table.name == "payment_method_changes":
        return [
            "case when action = 'added' and type is null "
            "then 'type: missing value (required when action is added)' end",
            "case when action = 'added' and coalesce(stripe_payment_method_id, '') = '' "
            "then 'stripe_payment_method_id: missing value (required when action is added)' end",
            "case when last4 is not null and not regexp_full_match(last4, '[0-9]{4}') "
            "then 'last4: not 4 digits: ''' || last4 || '''' end",
        ]
    if table.name == "payments":
        return [
            f"case when currency in {sql_list(ZERO_DECIMAL)} and amount <> round(amount, 0) "
            "then 'amount: ' || currency || ' has no minor unit, so an amount is whole: ' "
            "|| cast(amount as varchar) end"
        ]
    return []


# Money columns of products, which are in their provider's currency.
PRODUCT_MONEY = ("monthly_price", "start_fee", "wholesale_monthly_fee", "wholesale_start_fee")


def _check_whole_amounts(con: duckdb.DuckDBPyConnection) -> None:
    """Products of a provider whose currency has no minor unit (JPY, ...) hold whole
    amounts: a price with cents is a bad row."""
    for column in PRODUCT_MONEY:
        fetch(
            con,
            f"""
            update _c set _reason = '{column}: ' || p.currency || ' has no minor unit, so an '
                || 'amount is whole: ' || cast(_c.{q(column)} as varchar)
            from raw.providers p
            where _c._reason is null and not _c._known and p.provider_id = _c.provider_id
                and p.currency in {sql_list(ZERO_DECIMAL)}
                and _c.{q(column)} <> round(_c.{q(column)}, 0)
            """,
        )


def _check_method_owner(con: duckdb.DuckDBPyConnection) -> None:
    """A payment method change names a method of its own customer: one added by a change
    (of this load, earlier in file order, or of an earlier load) or listed in
    payment_methods. An added method's id is new."""
    fetch(
        con,
        """
        create or replace temp table _methods as
        select payment_method_id, customer_id, '' as _file, 0 as _row_number
        from raw.payment_methods
        union all
        select payment_method_id, customer_id, '' as _file, 0 as _row_number
        from raw.payment_method_changes where action = 'added'
        union all
        select payment_method_id, customer_id, _file, _row_number
        from _c where action = 'added' and _reason is null and not _known
        """,
    )
    fetch(
        con,
        """
        update _c set _reason = 'payment_method_id: ' || case
            when _c.action = 'added' then 'already exists: '
            when owner.customer_id is null then 'unknown payment method: '
            else 'belongs to another customer: ' end || '''' || _c.payment_method_id || ''''
        from (
            select c._file, c._row_number, any_value(m.customer_id) as customer_id,
                count(m.payment_method_id) as found,
                bool_or(m.customer_id = c.customer_id) as own
            from _c as c
            left join _methods as m
                on m.payment_method_id = c.payment_method_id
                and (m._file < c._file or (m._file = c._file and m._row_number < c._row_number))
            where c._reason is null and not c._known
            group by c._file, c._row_number
        ) as owner
        where _c._file = owner._file and _c._row_number = owner._row_number
            and case when _c.action = 'added' then owner.found > 0
                else not coalesce(owner.own, false) end
        """,
    )
    fetch(con, "drop table _methods")


def _typed_select(table: Table, present: list[str], tz: str) -> str:
    """SELECT over `_in` giving typed columns and `_errors`. The row's original text
    (`_raw_text`) is made only for the few rows that need it: rejected or waiting."""
    typed_cols, errors = (
        [],
        ["case when _field_count_error is not null then _field_count_error end"],
    )
    for col in table.columns:
        if col.name not in present:
            typed = "null"
            if col.required:  # pragma: no cover - reader.check_columns guards this
                raise ValueError(col.name)
        else:
            typed, err = _typed_and_error(col, tz)
            errors.append(
                f"case when {q(col.name)} is null and {col.required} "
                f"then '{col.name}: missing value' "
                f"else '{col.name}: ' || ({err}) end"
            )
        if col.default is not None:
            typed = f"coalesce({typed}, {col.default})"
        typed_cols.append((col, typed))
    exprs = []
    for col, typed in typed_cols:
        if col.default_from:
            source = next(t for c, t in typed_cols if c.name == col.default_from)
            typed = f"coalesce({typed}, {source})"
        exprs.append(f"cast({typed} as {SQL_TYPES[col.kind]}) as {q(col.name)}")
    return f"""
        select
            _file, _row_number, _recheck,
            {", ".join(exprs)},
            list_filter([{", ".join(errors)}], lambda x: x is not null) as _errors
        from _in
    """


def _raw_text(present: list[str], alias: str) -> str:
    """The original text of a staged row (`alias` a row of `_in`) as a JSON object, as
    `raw.rejected_rows` and `raw.waiting_rows` keep it."""
    pairs = ", ".join(f"{_literal(c)}, {alias}.{q(c)}" for c in present)
    return f"json_object({pairs})::varchar"


def _with_raw(present: list[str], where: str) -> str:
    """The rows of `_c` matching `where` with `_raw`, their original text from `_in`."""
    return f"""
        select c.*, {_raw_text(present, "i")} as _raw
        from _c c join _in i
            on i._file = c._file and i._row_number = c._row_number
            and i._recheck = c._recheck
        where {where}
    """


def _key_text(table: Table, alias: str = "") -> str:
    prefix = f"{alias}." if alias else ""
    parts = [f"'{k}=' || coalesce(cast({prefix}{q(k)} as varchar), '')" for k in table.key]
    return " || ', ' || ".join(parts)


def load_table(
    con: duckdb.DuckDBPyConnection,
    table: Table,
    batch_id: int,
    settings: Settings,
    in_order: bool = False,
) -> TableCount:
    """Validate the rows of temp table `_in` (stage_table) and append the good ones to
    `raw.<table>` in file and row order (sorted, unless `in_order` says `_in` was staged
    so); bad rows go to `raw.rejected_rows`, rows waiting for a reference to
    `raw.waiting_rows`."""
    (rows_in,) = fetch(con, "select count(*) from _in where not _recheck")[0]
    count = TableCount(table.name, rows_in=rows_in)
    present = [c for (c,) in fetch(con, IN_COLUMNS) if not c.startswith("_")]
    typed_select = _typed_select(table, present, settings.timezone)
    col_names = [c.name for c in table.columns]
    hash_expr = (
        "md5(concat_ws('|', "
        + ", ".join(f"coalesce(cast({q(c)} as varchar), '\\N')" for c in col_names)
        + "))"
    )
    extra_checks = _table_checks(table)
    errors_expr = "_errors"
    if extra_checks:
        errors_expr = (
            f"case when len(_errors) > 0 then _errors else "
            f"list_filter([{', '.join(extra_checks)}], lambda x: x is not null) end"
        )
    fetch(
        con,
        f"""
        create or replace temp table _c as
        select
            *,
            {hash_expr} as _row_hash,
            case when len({errors_expr}) > 0 then array_to_string({errors_expr}, '; ') end
                as _reason,
            false as _known,
            false as _waiting
        from ({typed_select})
        """,
    )
    target = f"raw.{table.name}"
    if table.key:
        key_match = " and ".join(f"_c.{q(k)} is not distinct from t.{q(k)}" for k in table.key)
        partition = ", ".join(q(k) for k in table.key)
        twice = " and ".join(f"c.{q(k)} is not distinct from k.{q(k)}" for k in table.key)
        # 1. duplicates within this load: the first row in file order wins. Only keys seen
        # more than once are sorted (a hash count first: most loads have none).
        fetch(
            con,
            f"""
            update _c set _reason = 'duplicate key (' || {_key_text(table, "_c")}
                || '): first row is ' || d.wf || ' row ' || d.wr
            from (
                select c._file, c._row_number,
                    row_number() over w as rn,
                    first_value(c._file) over w as wf,
                    first_value(c._row_number) over w as wr
                from _c c
                semi join (
                    select {partition} from _c where _reason is null
                    group by all having count(*) > 1
                ) k on {twice}
                where c._reason is null
                window w as (partition by {", ".join(f"c.{q(k)}" for k in table.key)}
                    order by c._file, c._row_number)
            ) d
            where d.rn > 1 and _c._file = d._file and _c._row_number = d._row_number
            """,
        )
        # 2. against rows loaded earlier: identical -> already known, different -> duplicate
        fetch(
            con,
            f"""
            update _c set
                _known = (t._row_hash = _c._row_hash),
                _reason = case when t._row_hash <> _c._row_hash then
                    'duplicate key (' || {_key_text(table, "_c")} || '): already loaded from '
                    || t._file || ' row ' || t._row_number end
            from {target} t
            where _c._reason is null and {key_match}
            """,
        )
    else:
        fetch(
            con,
            f"""
            update _c set _known = true
            where _reason is null and _row_hash in (select _row_hash from {target})
            """,
        )
    # 3. references to unknown or rejected rows
    for ref in table.references:
        fetch(
            con,
            f"""
            update _c set _waiting = true, _reason = 'unknown or rejected {ref.column}: '''
                || {q(ref.column)} || ''''
            where _reason is null and not _known and {q(ref.column)} is not null
                and {q(ref.column)} not in (
                    select {q(ref.target_column)} from raw.{ref.table}
                    where {q(ref.target_column)} is not null
                )
            """,
        )
    if table.name == "products":
        _check_whole_amounts(con)
    if table.name == "payment_method_changes":
        _check_method_owner(con)
    insert_cols = ", ".join(q(c) for c in col_names)
    extra_col, extra_val = "", ""
    if table.name == "orders":
        extra_col, extra_val = ", promotion_warning", ", null"
    fetch(
        con,
        f"""
        insert into {target} ({insert_cols}{extra_col}, _file, _row_number, _batch_id, _row_hash)
        select {insert_cols}{extra_val}, _file, _row_number, ?, _row_hash
        from _c where _reason is null and not _known
        {"" if in_order else "order by _file, _row_number"}
        """,
        [batch_id],
    )
    if table.name == "orders":
        count.warnings = _check_promotions(con, batch_id, settings, present)
    rejected = _with_raw(present, "c._reason is not null and not (c._recheck and c._waiting)")
    fetch(
        con,
        f"""
        insert into raw.rejected_rows
        select ?, ?, _file, _row_number, _reason, _raw, false from ({rejected}) c
        where not exists (
            select 1 from raw.rejected_rows r
            where r.source = ? and r.file = c._file and r.row_number = c._row_number
                and r.reason = c._reason and r.raw = c._raw
                and not exists (
                    select 1 from raw.released_rows x
                    where x.source = r.source and x.file = r.file
                        and x.row_number = r.row_number and x.batch_id > r.batch_id)
        )
        """,
        [batch_id, table.name, table.name],
    )
    # waiting rows: new ones are recorded with their raw text; re-checked ones leave the
    # waiting list when accepted or rejected for another reason
    waiting = _with_raw(present, "c._waiting and not c._recheck")
    fetch(
        con,
        f"insert into raw.waiting_rows select ?, ?, _file, _row_number, _raw from ({waiting})",
        [batch_id, table.name],
    )
    fetch(
        con,
        """
        insert into raw.released_rows
        select ?, ?, _file, _row_number,
            case when _reason is null then 'accepted' else 'rejected' end
        from _c where _recheck and not _waiting
        """,
        [batch_id, table.name],
    )
    (
        count.new,
        count.rejected,
        known,
        count.waiting,
        count.released,
        count.still_waiting,
    ) = fetch(
        con,
        """
        select
            count(*) filter (where _reason is null and not _known and not _recheck),
            count(*) filter (where _reason is not null and not _recheck),
            count(*) filter (where _known and not _recheck),
            count(*) filter (where _waiting and not _recheck),
            count(*) filter (where _reason is null and _recheck),
            count(*) filter (where _waiting and _recheck)
        from _c
        """,
    )[0]
    count.accepted = count.new + known
    fetch(con, "drop table _c")
    fetch(con, "drop table _in")
    assert count.rows_in == count.accepted + count.rejected
    return count


def _check_promotions(
    con: duckdb.DuckDBPyConnection, batch_id: int, settings: Settings, present: list[str]
) -> int:
    """Orders of this load whose promotion_code does not apply: accepted at full price, with a
    warning. A code applies when it exists, is valid on the order's local ordered_at date
    (valid_from and valid_to inclusive) and matches the order's product (or any product)."""
    fetch(
        con,
        """
        update raw.orders o set promotion_warning = case
            when p.promotion_code is null then
                'promotion: unknown code ''' || o.promotion_code || ''''
            when p.valid_from is not null
                and cast(timezone(?, o.ordered_at) as date) < p.valid_from then
                'promotion: code ''' || o.promotion_code || ''' is valid from '
                || p.valid_from || ', order placed ' || cast(timezone(?, o.ordered_at) as date)
            when p.valid_to is not null
                and cast(timezone(?, o.ordered_at) as date) > p.valid_to then
                'promotion: code ''' || o.promotion_code || ''' expired ' || p.valid_to
                || ', order placed ' || cast(timezone(?, o.ordered_at) as date)
            when p.product_id is not null and p.product_id <> o.product_id then
                'promotion: code ''' || o.promotion_code || ''' is for product '''
                || p.product_id || ''', not ''' || o.product_id || ''''
            end
        from (select o2.order_id, p2.* from raw.orders o2
              left join raw.promotions p2 on p2.promotion_code = o2.promotion_code
              where o2._batch_id = ? and o2.promotion_code is not null) p
        where o.order_id = p.order_id and o._batch_id = ?
        """,
        [settings.timezone] * 4 + [batch_id, batch_id],
    )
    fetch(
        con,
        f"""
        insert into raw.rejected_rows
        select ?, 'orders', o._file, o._row_number, o.promotion_warning, c._raw, true
        from raw.orders o join ({_with_raw(present, "c._reason is null and not c._known")}) c
            on c._file = o._file and c._row_number = o._row_number
        where o._batch_id = ? and o.promotion_warning is not null
        """,
        [batch_id, batch_id],
    )
    return fetch(
        con,
        "select count(*) from raw.orders where _batch_id = ? and promotion_warning is not null",
        [batch_id],
    )[0][0]


# The rows of a table still waiting for a reference, as their raw text.
WAITING = """
select w.file, w.row_number, w.raw
from raw.waiting_rows w
where w.source = ? and not exists (
    select 1 from raw.released_rows x
    where x.source = w.source and x.file = w.file and x.row_number = w.row_number
        and x.batch_id > w.batch_id
)
order by w.file, w.row_number
"""


# DuckDB's memory while a load validates: beyond it, its temporary tables spill to disk.
# At 1,000,000 subscribers (33 M rows) a first load peaks at 2.2 GiB with it, against
# 10.3 GiB without, for 71 s against 54 s (docs/performance.md).
LOAD_MEMORY_LIMIT = "2GB"
IN_COLUMNS = (
    "select column_name from duckdb_columns() "
    "where table_name = '_in' and database_name = 'temp' order by column_index"
)
# the whitespace a value is trimmed of, as ingest/reader.py trims text it reads
_SPACE = "' ' || chr(9) || chr(10) || chr(11) || chr(12) || chr(13)"


def _parquet_select(source: reader.ParquetFile) -> str:
    """The rows of a checked Parquet file as the reader makes a file's rows: every value
    trimmed text (empty: null), booleans lower case, with `_file` and `_row_number`."""
    values = []
    for name, original in source.columns.items():
        text = f"cast({q(original)} as varchar)"
        if source.kinds[name] == "bool":
            text = f"lower({text})"
        elif source.kinds[name] == "text":
            text = f"trim({text}, {_SPACE})"
        values.append(f"nullif({text}, '') as {q(name)}")
    return (
        f"select {', '.join([*values, ''])}{_literal(source.path.name)} as _file, "
        f"file_row_number + 1 as _row_number "
        f"from read_parquet({_literal(str(source.path))}, file_row_number = true)"
    )


def _append(con: duckdb.DuckDBPyConnection, select: str, path: Path | None = None) -> None:
    """Append the rows of `select` to `_in` by column name, adding the text columns `_in`
    lacks. A file DuckDB cannot read is bad input naming it."""
    try:
        names = [d[0] for d in con.execute(f"select * from ({select}) limit 0").description]
        have = {c for (c,) in fetch(con, IN_COLUMNS)}
        for name in names:
            if name not in have:
                fetch(con, f"alter table _in add column {q(name)} varchar")
        fetch(con, f"insert into _in by name {select}")
    except duckdb.Error as exc:
        if path is None:
            raise
        first_line = str(exc).strip().splitlines()[0]
        raise InputError(f"{path.name}: unreadable file: {first_line}") from None


def _in_file_order(sources: list[reader.Source]) -> bool:
    """Whether the rows of `sources`, staged one after another, are in file and row order:
    each source one file read in row order (a Parquet file by DuckDB, in file_row_number
    order; a frame of one file with rising row numbers), the files' names rising."""
    names = []
    for source in sources:
        if isinstance(source, reader.ParquetFile):
            names.append(source.path.name)
        elif source[reader.FILE_COL].n_unique() == 1 and source[reader.ROW_COL].is_sorted():
            names.append(source[reader.FILE_COL][0])
        else:
            return False
    return all(a < b for a, b in itertools.pairwise(names))


def stage_table(
    con: duckdb.DuckDBPyConnection, table: Table, sources: list[reader.Source], batch_id: int
) -> tuple[int, bool]:
    """Temp table `_in`: this load's new rows of `table` as text (`_recheck` false), read
    one source at a time (DuckDB reads a Parquet file itself), plus the rows of earlier
    loads still waiting for a reference (`_recheck` true), rebuilt from their raw text with
    their own file and row number. A waiting row whose file is delivered again is
    superseded by the new delivery's row. Returns the number of rows staged, and whether
    they are in file and row order as staged (DuckDB keeps a table's insertion order), so
    that appending them to `raw` needs no sort: at a million subscribers the sort of the
    network status is a fifth of a first load."""
    fetch(
        con,
        "create or replace temp table _in (_file varchar, _row_number bigint, "
        "_field_count_error varchar, _recheck boolean default false)",
    )
    for source in sources:
        if isinstance(source, reader.ParquetFile):
            _append(con, _parquet_select(source), source.path)
        else:
            con.register("_in_frame", source)
            try:
                _append(con, "select * from _in_frame")
            finally:
                con.unregister("_in_frame")
    fetch(con, "create or replace temp table _w as " + WAITING, [table.name])
    delivered = (
        "exists (select 1 from _in i where i._file = w.file and i._row_number = w.row_number)"
    )
    fetch(
        con,
        f"insert into raw.released_rows select ?, ?, w.file, w.row_number, 'superseded' "
        f"from _w w where {delivered} order by w.file, w.row_number",
        [batch_id, table.name],
    )
    waiting = fetch(
        con, f"select file, row_number, raw from _w w where not {delivered} order by all"
    )
    fetch(con, "drop table _w")
    if waiting:
        values = [json.loads(raw) for _, _, raw in waiting]
        rechecks = pl.DataFrame(
            {
                **{c.name: [v.get(c.name) for v in values] for c in table.columns},
                reader.FILE_COL: [f for f, _, _ in waiting],
                reader.ROW_COL: [r for _, r, _ in waiting],
                "_recheck": [True] * len(waiting),
            },
            schema={
                **{c.name: pl.String for c in table.columns},
                reader.FILE_COL: pl.String,
                reader.ROW_COL: pl.Int64,
                "_recheck": pl.Boolean,
            },
        )
        con.register("_in_frame", rechecks)
        try:
            _append(con, "select * from _in_frame")
        finally:
            con.unregister("_in_frame")
    staged = fetch(con, "select count(*) from _in")[0][0]
    return staged, not waiting and _in_file_order(sources)


@dataclass
class Inputs:
    """What was read from the input folder: each table's sources (checked files, in file
    order, and rows from elsewhere; empty: nothing new) and every file seen, with its
    sha256."""

    sources: dict[str, list[reader.Source]]
    files: list[reader.FileInfo]

    def get(self, table: str) -> list[reader.Source]:
        return self.sources.get(table, [])


def loaded_files(con: duckdb.DuckDBPyConnection) -> frozenset[tuple[str, str]]:
    """(file name, sha256) of every file loaded into this warehouse before."""
    ensure_raw_schema(con)
    return frozenset(fetch(con, "select file, sha256 from raw.loaded_files"))


def last_row_loaded(con: duckdb.DuckDBPyConnection, table: str, file: str) -> int:
    """The highest row number of `file` this warehouse has seen for input table `table`
    (accepted, rejected or waiting): a source that only grows is read from the next row."""
    ensure_raw_schema(con)
    return fetch(
        con,
        f"select coalesce(max(r), 0) from (select max(_row_number) as r from raw.{q(table)} "
        "where _file = ? union all select max(row_number) from raw.rejected_rows "
        "where source = ? and file = ? union all select max(row_number) from raw.waiting_rows "
        "where source = ? and file = ?)",
        [file, table, file, table, file],
    )[0][0]


def add_rows(inputs: Inputs, table: str, frame: pl.DataFrame | None) -> None:
    """Add rows read from another source than the input folder to `table`'s rows."""
    if frame is not None:
        inputs.sources.setdefault(table, []).append(frame)


def read_inputs(data_dir, loaded: frozenset[tuple[str, str]] = frozenset()) -> Inputs:
    """Check every table's files and read those Python reads, skipping files already
    loaded. Raises InputError."""
    sources, files = {}, []
    for table in TABLES:
        sources[table.name], infos = reader.read_table(data_dir, table, loaded)
        files += infos
    return Inputs(sources, files)


def load_all(
    con: duckdb.DuckDBPyConnection,
    inputs: Inputs,
    settings: Settings,
    data_dir: str,
    first_run_day: date | None,
    progress=None,
) -> LoadReport:
    """Append every table's accepted rows to `raw`; returns counts per table."""
    fetch(con, "set TimeZone = 'UTC'")
    fetch(con, f"set memory_limit = '{LOAD_MEMORY_LIMIT}'")
    try:
        return _load_all(con, inputs, settings, data_dir, first_run_day, progress)
    finally:
        with contextlib.suppress(duckdb.Error):  # never hide the load's own error
            fetch(con, "reset memory_limit")


def _load_all(
    con: duckdb.DuckDBPyConnection,
    inputs: Inputs,
    settings: Settings,
    data_dir: str,
    first_run_day: date | None,
    progress,
) -> LoadReport:
    ensure_raw_schema(con)
    batch_id = fetch(con, "select coalesce(max(batch_id), 0) + 1 from raw.load_batches")[0][0]
    fetch(
        con,
        "insert into raw.load_batches values (?, now(), ?, ?)",
        [batch_id, str(data_dir), first_run_day],
    )
    report = LoadReport(batch_id)
    rejected_before = fetch(con, "select count(*) from raw.rejected_rows")[0][0]
    for table in TABLES:
        staged, in_order = stage_table(con, table, inputs.get(table.name), batch_id)
        if not staged:
            fetch(con, "drop table _in")
            continue
        if progress:
            progress(table.name, staged)
        count = load_table(con, table, batch_id, settings, in_order)
        report.counts.append(count)
        fetch(
            con,
            "insert into raw.load_counts (batch_id, source, rows_in, accepted, new_rows, "
            "rejected, warnings, waiting, released) values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                batch_id,
                table.name,
                count.rows_in,
                count.accepted,
                count.new,
                count.rejected,
                count.warnings,
                count.waiting,
                count.released,
            ],
        )
    report.files_skipped = sum(f.skipped for f in inputs.files)
    known_files = loaded_files(con)
    new_files = [f for f in inputs.files if (f.name, f.sha256) not in known_files]
    for f in new_files:
        fetch(
            con,
            "insert into raw.loaded_files values (?, ?, ?, ?)",
            [batch_id, f.table, f.name, f.sha256],
        )
    rejected_after = fetch(con, "select count(*) from raw.rejected_rows")[0][0]
    report.changed = (
        rejected_after > rejected_before
        or any(c.new or c.released for c in report.counts)
        or bool(new_files)
    )
    if not report.changed:  # a load that adds nothing leaves no trace
        fetch(con, "delete from raw.load_counts where batch_id = ?", [batch_id])
        fetch(con, "delete from raw.load_batches where batch_id = ?", [batch_id])
    return report
