"""Charts drawn on the server as SVG: no script, no external asset, nothing the strict CSP
would block (presentation attributes, no style attributes). In a right-to-left language the
time axis runs from right to left, as the page reads; the map is not mirrored (geography).
Every chart is shown next to a table holding the same figures (the templates do that)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

from babel.dates import format_date
from babel.numbers import format_compact_decimal
from markupsafe import Markup, escape

WIDTH, HEIGHT = 640, 260
PAD_START, PAD_END, PAD_TOP, PAD_BOTTOM = 64, 16, 16, 40
BAR = "#2f6f4f"
GRID = "#d9d4c7"
INK = "#1f1d1a"
# Five shades from light to dark (the darkest still readable under dark text with a halo).
SHADES = ("#f1efe6", "#d4e6c9", "#a9cf98", "#7cb368", "#4f8f3c")


@dataclass(frozen=True)
class Point:
    label: str  # shown under the axis
    value: int  # cents for money, else a count


def month_label(key: str, locale: str) -> str:
    year, month = (int(part) for part in key.split("-"))
    return format_date(date(year, month, 1), "MMM y", locale=locale)


def compact(value: int, locale: str, money: bool) -> str:
    amount = value / 100 if money else value
    return format_compact_decimal(amount, locale=locale, fraction_digits=1)


def _axis(
    top: int, locale: str, money: bool, rtl: bool
) -> tuple[list[str], Callable[[float], float]]:
    """Horizontal grid lines with their labels; returns the parts and value → y."""
    plot_h = HEIGHT - PAD_TOP - PAD_BOTTOM
    top = max(top, 1)

    def y_of(value: float) -> float:
        return PAD_TOP + plot_h - plot_h * value / top

    parts = []
    label_x = WIDTH - PAD_START + 6 if rtl else PAD_START - 6
    anchor = "start" if rtl else "end"
    for step in range(5):
        value = top * step / 4
        y = y_of(value)
        parts.append(
            f'<line x1="{PAD_START if not rtl else PAD_END}" x2="'
            f'{WIDTH - PAD_END if not rtl else WIDTH - PAD_START}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="{GRID}" stroke-width="1"/>'
        )
        parts.append(
            f'<text x="{label_x}" y="{y + 4:.1f}" text-anchor="{anchor}" font-size="12" '
            f'fill="{INK}">{escape(compact(round(value), locale, money))}</text>'
        )
    return parts, y_of


def _slots(count: int, rtl: bool) -> list[tuple[float, float]]:
    """(x, width) of each slot along the time axis, first slot at the reading start."""
    left, right = (PAD_END, WIDTH - PAD_START) if rtl else (PAD_START, WIDTH - PAD_END)
    width = (right - left) / max(count, 1)
    slots = [(left + i * width, width) for i in range(count)]
    return list(reversed(slots)) if rtl else slots


def _x_labels(points: Sequence[Point], slots, every: int) -> list[str]:
    parts = []
    for index, (point, (x, width)) in enumerate(zip(points, slots, strict=True)):
        if index % every:
            continue
        parts.append(
            f'<text x="{x + width / 2:.1f}" y="{HEIGHT - PAD_BOTTOM + 18}" text-anchor="middle" '
            f'font-size="12" fill="{INK}">{escape(point.label)}</text>'
        )
    return parts


def _svg(title_id: str, title: str, parts: list[str], width: int = WIDTH, height: int = HEIGHT):
    # Every value in ``parts`` is a number or went through escape().
    return Markup(  # noqa: S704  # nosec B704
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-labelledby="{escape(title_id)}" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="{escape(title_id)}">{escape(title)}</title>{"".join(parts)}</svg>'
    )


def bar_chart(
    points: Sequence[Point], *, title: str, chart_id: str, locale: str, rtl: bool, money: bool
) -> Markup:
    top = max((p.value for p in points), default=0)
    parts, y_of = _axis(top, locale, money, rtl)
    slots = _slots(len(points), rtl)
    base = y_of(0)
    for point, (x, width) in zip(points, slots, strict=True):
        y = y_of(point.value)
        parts.append(
            f'<rect x="{x + width * 0.15:.1f}" y="{y:.1f}" width="{width * 0.7:.1f}" '
            f'height="{max(base - y, 0):.1f}" fill="{BAR}"/>'
        )
    parts += _x_labels(points, slots, max(1, -(-len(points) // 12)))
    return _svg(chart_id, title, parts)


def line_chart(
    points: Sequence[Point], *, title: str, chart_id: str, locale: str, rtl: bool, money: bool
) -> Markup:
    top = max((p.value for p in points), default=0)
    parts, y_of = _axis(top, locale, money, rtl)
    slots = _slots(len(points), rtl)
    coords = [(x + width / 2, y_of(p.value)) for p, (x, width) in zip(points, slots, strict=True)]
    if coords:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
        parts.append(f'<polyline points="{path}" fill="none" stroke="{BAR}" stroke-width="3"/>')
        parts += [f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{BAR}"/>' for x, y in coords]
    parts += _x_labels(points, slots, max(1, -(-len(points) // 12)))
    return _svg(chart_id, title, parts)


# A schematic map of the five provinces of Drâa-Tafilalet: their relative places and
# neighbours (Midelt in the north, Errachidia in the east along Algeria, Tinghir in the
# middle, Ouarzazate in the west, Zagora in the south), not their real boundaries.
PROVINCE_SHAPES = {
    "midelt": ((90, 20), (230, 10), (250, 90), (150, 110), (80, 80)),
    "errachidia": ((230, 10), (380, 40), (390, 250), (300, 300), (260, 200), (250, 90)),
    "tinghir": ((150, 110), (250, 90), (260, 200), (170, 210), (130, 160)),
    "ouarzazate": ((20, 140), (80, 80), (150, 110), (130, 160), (170, 210), (140, 270), (40, 250)),
    "zagora": ((140, 270), (170, 210), (260, 200), (300, 300), (240, 350), (130, 340)),
}
LABEL_AT = {
    "midelt": (165, 60),
    "errachidia": (320, 150),
    "tinghir": (200, 155),
    "ouarzazate": (85, 200),
    "zagora": (215, 285),
}


def shade(value: int, top: int) -> str:
    if value <= 0 or top <= 0:
        return SHADES[0]
    return SHADES[1 + min(3, (4 * value - 1) // top)]  # four classes of equal width


def province_map(
    values: dict[str, int], labels: dict[str, str], *, title: str, chart_id: str, locale: str
) -> Markup:
    top = max(values.values(), default=0)
    parts = []
    for code, shape in PROVINCE_SHAPES.items():
        points = " ".join(f"{x},{y}" for x, y in shape)
        parts.append(
            f'<polygon points="{points}" fill="{shade(values.get(code, 0), top)}" '
            f'stroke="{INK}" stroke-width="1.5"/>'
        )
    for code, (x, y) in LABEL_AT.items():
        for dy, text, size in (
            (0, labels.get(code, code), 14),
            (18, compact(values.get(code, 0), locale, True), 12),
        ):
            parts.append(
                f'<text x="{x}" y="{y + dy}" text-anchor="middle" font-size="{size}" '
                f'fill="{INK}" stroke="#ffffff" stroke-width="3" paint-order="stroke">'
                f"{escape(text)}</text>"
            )
    return _svg(chart_id, title, parts, 400, 360)
