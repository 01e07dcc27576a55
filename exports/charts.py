"""The finance dashboard's charts: Vega-Lite specs built with Altair and turned into inline
SVG by vl-convert, offline (no CDN, no script at view time). Each chart has a title and
axis titles; the page gives each one a line saying what it shows. Amounts arrive as exact
`Decimal`; a chart draws them as numbers (drawing needs no cents), figures.json and the
tables keep them exact.
"""

from __future__ import annotations

from decimal import Decimal

import altair as alt
import polars as pl
import vl_convert as vlc

WIDTH = 640
HEIGHT = 260
FONT = "DejaVu Sans"
# colour-blind-safe (Okabe–Ito)
STEP_COLOURS = {"total": "#0072B2", "increase": "#009E73", "decrease": "#D55E00"}
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442"]


def _number(value) -> float:
    return float(value) if isinstance(value, Decimal) else value


def _frame(rows: list[dict]) -> pl.DataFrame:
    return pl.DataFrame([{k: _number(v) for k, v in row.items()} for row in rows])


def _svg(chart: alt.Chart, title: str) -> str:
    chart = chart.properties(width=WIDTH, height=HEIGHT, title=title).configure(
        font=FONT, background="white"
    )
    chart = chart.configure_range(category=PALETTE)
    return vlc.vegalite_to_svg(chart.to_json())


def _money_axis(currency: str) -> alt.Axis:
    return alt.Axis(title=f"Amount ({currency})", format=",.0f")


def grouped_bars(
    rows: list[dict], *, x: str, x_title: str, series: str, value: str, title: str, currency: str
) -> str:
    """Bars side by side per `x`, one per `series` (e.g. invoiced vs collected by month)."""
    chart = (
        alt.Chart(_frame(rows))
        .mark_bar()
        .encode(
            x=alt.X(f"{x}:N", title=x_title, axis=alt.Axis(labelAngle=0, labelLimit=120)),
            xOffset=alt.XOffset(f"{series}:N"),
            y=alt.Y(f"{value}:Q", axis=_money_axis(currency)),
            color=alt.Color(f"{series}:N", title=None, legend=alt.Legend(orient="bottom")),
        )
    )
    return _svg(chart, title)


def stacked_bars(
    rows: list[dict],
    *,
    x: str,
    x_title: str,
    series: str,
    value: str,
    title: str,
    y_title: str,
    order: list[str] | None = None,
) -> str:
    """Stacked bars per `x` (e.g. ageing buckets over time, wholesale per provider)."""
    color = alt.Color(
        f"{series}:N", title=None, sort=order, legend=alt.Legend(orient="bottom", columns=3)
    )
    chart = (
        alt.Chart(_frame(rows))
        .mark_bar()
        .encode(
            x=alt.X(f"{x}:N", title=x_title, axis=alt.Axis(labelAngle=0, labelLimit=120)),
            y=alt.Y(f"sum({value}):Q", title=y_title, axis=alt.Axis(format=",.0f")),
            color=color,
            order=alt.Order("series_order:Q") if order else alt.Undefined,
        )
    )
    if order:
        chart = chart.transform_calculate(
            series_order=f"indexof({order!r}, datum['{series}'])".replace("'", '"')
        )
    return _svg(chart, title)


def line(
    rows: list[dict],
    *,
    x: str,
    x_title: str,
    series: str,
    value: str,
    title: str,
    y_title: str,
    percent: bool = False,
) -> str:
    """Lines per `series` over `x` (e.g. collection success rate by method)."""
    axis = alt.Axis(title=y_title, format=".0%" if percent else ",.0f")
    chart = (
        alt.Chart(_frame(rows))
        .mark_line(point=True)
        .encode(
            x=alt.X(f"{x}:N", title=x_title, axis=alt.Axis(labelAngle=0, labelLimit=120)),
            y=alt.Y(f"{value}:Q", axis=axis),
            color=alt.Color(f"{series}:N", title=None, legend=alt.Legend(orient="bottom")),
        )
    )
    return _svg(chart, title)


def waterfall(steps: list[tuple[str, Decimal]], *, title: str, currency: str) -> str:
    """MRR movement as a waterfall: the first and last steps are totals (start, end), the
    ones between are changes drawn from the running total."""
    rows, running = [], Decimal(0)
    for i, (label, amount) in enumerate(steps):
        total = i in (0, len(steps) - 1)
        start, end = (Decimal(0), amount) if total else (running, running + amount)
        running = amount if total else end
        kind = "total" if total else ("increase" if amount >= 0 else "decrease")
        rows.append({"step": label, "start": start, "end": end, "kind": kind, "amount": amount})
    chart = (
        alt.Chart(_frame(rows))
        .mark_bar()
        .encode(
            x=alt.X(
                "step:N",
                title="MRR movement",
                sort=[label for label, _ in steps],
                axis=alt.Axis(labelAngle=0),
            ),
            y=alt.Y("start:Q", axis=_money_axis(currency)),
            y2="end:Q",
            color=alt.Color(
                "kind:N",
                title=None,
                scale=alt.Scale(domain=list(STEP_COLOURS), range=list(STEP_COLOURS.values())),
                legend=alt.Legend(orient="bottom"),
            ),
        )
    )
    return _svg(chart, title)


def bars(rows: list[dict], *, x: str, x_title: str, value: str, title: str, y_title: str) -> str:
    """One bar per `x`, coloured by it (e.g. leakage by finding)."""
    chart = (
        alt.Chart(_frame(rows))
        .mark_bar()
        .encode(
            x=alt.X(f"{x}:N", title=x_title, axis=alt.Axis(labelAngle=0, labelLimit=120)),
            y=alt.Y(f"{value}:Q", title=y_title, axis=alt.Axis(format=",.0f")),
            color=alt.Color(f"{x}:N", legend=None),
        )
    )
    return _svg(chart, title)
