"""PNG pictures of the chart data (matplotlib, Agg: no display), and the key-phrase cloud (wordcloud).

The cloud draws with Debian's WenQuanYi Micro Hei where it is installed (fonts-wqy-microhei: Latin and
CJK), else with matplotlib's bundled DejaVu Sans; phrases in scripts the font has no glyphs for are
left out of the picture and listed as text by the page instead.
"""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path

import matplotlib as mpl

mpl.use("Agg")  # before pyplot: no display on servers and in CI

import matplotlib.pyplot as plt
from fontTools.ttLib import TTFont
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator
from wordcloud import WordCloud

from connect_zendesk_local.report.charts import ChartData

WIDTH_INCHES, HEIGHT_INCHES, DPI = 8.0, 3.6, 100
SENTIMENT_COLOURS = {"POSITIVE": "#2e7d32", "NEUTRAL": "#9e9e9e", "MIXED": "#f9a825", "NEGATIVE": "#c62828"}
COUNT_UNITS = frozenset({"calls", "contacts"})
PALETTE = ("#1565c0", "#ef6c00", "#6a1b9a", "#00838f", "#ad1457", "#558b2f")


CJK_FONT = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")


def font_path() -> Path:
    return CJK_FONT if CJK_FONT.exists() else Path(mpl.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"


@cache
def _glyphs() -> frozenset[int]:
    # A .ttc holds several faces: the first is the regular one
    font = TTFont(str(font_path()), fontNumber=0)
    return frozenset(font["cmap"].getBestCmap())


def drawable(text: str) -> bool:
    """Whether the cloud's font has a glyph for every character (spaces aside)."""
    return all(ord(char) in _glyphs() for char in text if not char.isspace())


def picture(data: ChartData) -> bytes:
    """The chart as PNG bytes; an empty chart has no picture (the page says why)."""
    if data.kind == "cloud":
        return _cloud(data)
    figure = plt.figure(figsize=(WIDTH_INCHES, HEIGHT_INCHES), dpi=DPI)
    try:
        axes = figure.add_subplot()
        {
            "stacked_bars": _stacked_bars,
            "stacked_hbars": _stacked_hbars,
            "lines": _lines,
            "bars": _bars,
            "hbars": _hbars,
        }[data.kind](figure, data)
        axes.set_title(data.title, loc="left", fontsize=11)
        if data.unit in COUNT_UNITS:  # no half calls on a count axis
            counts = axes.xaxis if data.kind.endswith("hbars") else axes.yaxis
            counts.set_major_locator(MaxNLocator(integer=True))
        axes.spines[["top", "right"]].set_visible(False)
        figure.tight_layout()
        return _png(figure)
    finally:
        plt.close(figure)


def _colour(label: str, index: int) -> str:
    return SENTIMENT_COLOURS.get(label, PALETTE[index % len(PALETTE)])


def _stacked_bars(figure: Figure, data: ChartData) -> None:
    axes = figure.axes[0]
    bottom = [0.0] * len(data.x)
    for index, series in enumerate(data.series):
        values = [v or 0.0 for v in series.values]
        axes.bar(data.x, values, bottom=bottom, label=series.label, color=_colour(series.label, index))
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    axes.set_ylabel(data.unit)
    axes.legend(fontsize=8, frameon=False)
    _day_ticks(axes, data.x)


def _stacked_hbars(figure: Figure, data: ChartData) -> None:
    axes = figure.axes[0]
    left = [0.0] * len(data.x)
    for index, series in enumerate(data.series):
        values = [v or 0.0 for v in series.values]
        axes.barh(data.x, values, left=left, label=series.label, color=_colour(series.label, index))
        left = [b + v for b, v in zip(left, values, strict=True)]
    axes.set_xlabel(data.unit)
    axes.invert_yaxis()
    axes.legend(fontsize=8, frameon=False)


def _lines(figure: Figure, data: ChartData) -> None:
    axes = figure.axes[0]
    for index, series in enumerate(data.series):
        values = [float("nan") if v is None else v for v in series.values]
        axes.plot(data.x, values, marker="o", markersize=3, label=series.label, color=_colour("", index))
    axes.set_ylabel(data.unit)
    axes.set_ylim(bottom=0)
    axes.legend(fontsize=8, frameon=False)
    _day_ticks(axes, data.x)


def _bars(figure: Figure, data: ChartData) -> None:
    axes = figure.axes[0]
    (series,) = data.series
    axes.bar(data.x, [v or 0.0 for v in series.values], color=PALETTE[0])
    axes.set_ylabel(data.unit)
    _day_ticks(axes, data.x)


def _hbars(figure: Figure, data: ChartData) -> None:
    axes = figure.axes[0]
    (series,) = data.series
    values = [v or 0.0 for v in series.values]
    bars = axes.barh(data.x, values, color=PALETTE[0])
    axes.bar_label(bars, labels=[f"{v:g}" for v in values], fontsize=8, padding=2)
    axes.set_xlabel(data.unit)
    axes.invert_yaxis()


def _day_ticks(axes: Axes, days: tuple[str, ...]) -> None:
    """At most ~12 day labels, shown as MM-DD, so a month stays readable."""
    step = max(1, len(days) // 12)
    axes.set_xticks(range(0, len(days), step), [day[5:] for day in days[::step]], fontsize=8)


def _cloud(data: ChartData) -> bytes:
    frequencies = {word: count for word, count in data.words if drawable(word)}
    if not frequencies:
        return b""
    cloud = WordCloud(
        width=int(WIDTH_INCHES * DPI),
        height=int(HEIGHT_INCHES * DPI),
        background_color="white",
        font_path=str(font_path()),
        prefer_horizontal=0.9,
        colormap="viridis",
        random_state=7,  # the same data gives the same picture
        relative_scaling=0.5,  # size follows the count, tempered so small counts stay legible
        max_font_size=72,
        collocations=False,
    ).generate_from_frequencies(frequencies)
    buffer = io.BytesIO()
    cloud.to_image().save(buffer, format="PNG")
    return buffer.getvalue()


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
