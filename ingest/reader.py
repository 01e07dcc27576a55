"""Find and read the files of one input table as text, keeping file order and row numbers.

Every value is read as a string (types are checked later, in SQL, so a bad value becomes a
rejected row rather than a failed file). Values are trimmed; an empty value is null.

A Parquet file is only checked here (its schema: readable, no nested values, the required
columns); DuckDB reads its rows as text straight into the load (ingest/loader.py), so no
table is held in Python. CSV and JSON lines files are read here, one file at a time: a CSV
reader that keeps a row with the wrong number of fields, and names the line of a broken
quote, needs Python's csv module.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from ingest.errors import InputError
from ingest.schema import Table

EXTENSIONS = ("csv", "parquet", "jsonl")
FILE_COL = "_file"
ROW_COL = "_row_number"


@dataclass
class TableFiles:
    table: Table
    files: list[Path]


def discover(data_dir: Path, table: Table) -> list[Path]:
    """`NAME.ext` and `NAME.<anything>.ext`, sorted by file name (the contract's file order)."""
    pattern = re.compile(rf"^{re.escape(table.name)}(\.[^/]+)?\.({'|'.join(EXTENSIONS)})$")
    return sorted(
        (p for p in Path(data_dir).iterdir() if p.is_file() and pattern.match(p.name)),
        key=lambda p: p.name,
    )


def _strings(frame: pl.DataFrame) -> pl.DataFrame:
    """All columns as trimmed strings, empty -> null. Header names are trimmed too."""
    frame = frame.rename({c: c.strip().lstrip("\ufeff") for c in frame.columns})
    exprs = []
    for name, dtype in frame.schema.items():
        col = pl.col(name)
        if dtype == pl.Boolean:
            col = col.cast(pl.String).str.to_lowercase()
        elif dtype.is_temporal():
            col = col.dt.to_string() if dtype != pl.Date else col.dt.strftime("%Y-%m-%d")
        else:
            col = col.cast(pl.String)
        col = col.str.strip_chars()
        exprs.append(pl.when(col == "").then(None).otherwise(col).alias(name))
    return frame.select(exprs) if exprs else frame


def _csv_records(path: Path, text: str) -> list[list[str]]:
    """Every record of a CSV text. Quoting is strict: a broken quoted field (text after its
    closing quote, or a quote never closed) is a whole-file error naming the line the
    broken record starts on, never a record that swallows the rows after it. A `"` inside
    an unquoted field (`5" cable`) is kept as a character, as every CSV reader does."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    rows = []
    while True:
        start = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            return rows
        except csv.Error as exc:
            raise InputError(
                f"{path.name}: line {start}: broken CSV ({exc}); quote fields that contain "
                'commas, quotes or line breaks, and double a " inside a quoted field'
            ) from None
        rows.append(row)


def _read_csv(path: Path) -> pl.DataFrame:
    """Python's csv module rather than a fast reader: a row with the wrong number of fields is
    kept (marked) instead of failing the file or being padded, so it can be rejected with its
    row number. Invalid UTF-8 fails the whole file."""
    text = path.read_bytes().decode("utf-8-sig")
    rows = _csv_records(path, text)
    if not rows:
        raise InputError(f"{path.name}: empty file (no header row)")
    header = rows[0]
    names = [h.strip().lstrip("\ufeff") for h in header]
    repeated = sorted({h for h in names if names.count(h) > 1})
    if repeated:
        raise InputError(
            f"{path.name}: column '{repeated[0]}' appears more than once in the header"
        )
    data: dict[str, list] = {h: [] for h in header}
    data["_field_count_error"] = []
    for row in rows[1:]:
        if row == []:
            row = [""] * len(header)
        bad = len(row) != len(header)
        for i, h in enumerate(header):
            data[h].append(row[i] if i < len(row) else None)
        data["_field_count_error"].append(
            f"expected {len(header)} fields, got {len(row)}" if bad else None
        )
    return pl.DataFrame(data, schema={k: pl.String for k in data})


def read_file(path: Path) -> pl.DataFrame:
    """One file as strings plus `_file` and `_row_number` (1-based data row)."""
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            frame = _read_csv(path)
        elif suffix == ".parquet":
            frame = pl.read_parquet(path)
        else:
            frame = pl.read_ndjson(path, infer_schema_length=None)
    except UnicodeDecodeError:
        raise InputError(f"{path.name}: unreadable file: not UTF-8 text") from None
    except InputError:
        raise
    except Exception as exc:  # polars/pyarrow raise many kinds; all mean "cannot read"
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(f"{path.name}: unreadable file: {first_line}") from None
    for name, dtype in frame.schema.items():
        if dtype.is_nested() or dtype in (pl.Binary, pl.Object):
            raise _value_type_error(path, name, dtype)
    frame = _strings(frame)
    return frame.with_columns(
        pl.lit(path.name).alias(FILE_COL),
        pl.int_range(1, frame.height + 1, dtype=pl.Int64).alias(ROW_COL),
    )


@dataclass(frozen=True)
class ParquetFile:
    """A Parquet file whose schema was checked; DuckDB reads its rows when it is loaded.
    `columns` maps each column's trimmed name to its name in the file."""

    path: Path
    columns: dict[str, str]
    kinds: dict[str, str]  # trimmed name -> "bool", "text" or "other"


def _value_type_error(path: Path, name: str, dtype) -> InputError:
    return InputError(
        f"{path.name}: column '{name}' has type {dtype}, which is not a value "
        "(expected text, numbers, dates or booleans)"
    )


def check_parquet(path: Path) -> ParquetFile:
    """The schema of a Parquet file, checked as read_file checks a frame. Raises
    InputError for an unreadable file or a column that holds no plain value."""
    try:
        schema = pl.read_parquet_schema(path)
    except Exception as exc:  # polars/pyarrow raise many kinds; all mean "cannot read"
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(f"{path.name}: unreadable file: {first_line}") from None
    columns, kinds = {}, {}
    for name, dtype in schema.items():
        if dtype.is_nested() or dtype in (pl.Binary, pl.Object):
            raise _value_type_error(path, name, dtype)
        trimmed = name.strip().lstrip("\ufeff")
        columns[trimmed] = name
        kinds[trimmed] = (
            "bool" if dtype == pl.Boolean else "text" if dtype == pl.String else "other"
        )
    return ParquetFile(path, columns, kinds)


def check_columns(path: Path, present: set[str] | list[str], table: Table) -> None:
    present = set(present)
    for name in table.required_columns:
        if name not in present:
            raise InputError(f"{path.name}: missing required column '{name}'")


@dataclass(frozen=True)
class FileInfo:
    table: str
    name: str
    sha256: str
    skipped: bool  # identical to a file already loaded: not read again


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# what a table's rows are read from: a file's rows as text (CSV, JSON lines, or rows from
# another source), or a checked Parquet file DuckDB reads when the table is loaded
Source = pl.DataFrame | ParquetFile


def read_table(
    data_dir: Path, table: Table, loaded: frozenset[tuple[str, str]] = frozenset()
) -> tuple[list[Source], list[FileInfo]]:
    """All files of a table, in file order, checked: every required column present.

    A file whose (name, sha256) is in `loaded` was loaded before and is skipped: loading it
    again would add nothing. Returns ([], files) when there is nothing to read. Raises
    InputError for a missing required table, an unreadable file or a missing required column.
    """
    files = discover(data_dir, table)
    if not files and table.required:
        raise InputError(
            f"{table.name}.csv: required table is missing "
            f"(expected {table.name}.csv or {table.name}.parquet in {data_dir})"
        )
    infos, sources = [], []
    for path in files:
        sha = file_sha256(path)
        skipped = (path.name, sha) in loaded
        infos.append(FileInfo(table.name, path.name, sha, skipped))
        if skipped:
            continue
        if path.suffix.lower() == ".parquet":
            parquet = check_parquet(path)
            check_columns(path, parquet.columns, table)
            sources.append(parquet)
            continue
        frame = read_file(path)
        check_columns(path, frame.columns, table)
        if "_field_count_error" not in frame.columns:
            frame = frame.with_columns(pl.lit(None, dtype=pl.String).alias("_field_count_error"))
        sources.append(frame)
    return sources, infos
