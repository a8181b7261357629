"""Inline SVG charts for the dataset report: a day × hour heatmap, vertical and grouped horizontal bars, a pyramid.

Each function takes plain numbers and returns one <svg> element as text, sized in pixels, with a <title>
on every mark so a reader can hover for the exact figure. No scripts, fonts or network.
"""

from __future__ import annotations

from datetime import date, timedelta
from html import escape

FONT = 'font-family="system-ui, sans-serif" font-size="11"'
LOW, HIGH = (0xE8, 0xF1, 0xFA), (0x08, 0x30, 0x6B)       # utilisation 0 → 1
EMPTY = "#f4f4f4"
SERIES = ("#2b6cb0", "#dd6b20")
PAST, AHEAD = "#a0aec0", "#2b6cb0"
FEMALE, MALE = "#c05621", "#2c7a7b"


def shade(fraction: float) -> str:
    fraction = min(max(fraction, 0.0), 1.0)
    red, green, blue = (round(a + (b - a) * fraction) for a, b in zip(LOW, HIGH, strict=True))
    return f"#{red:02x}{green:02x}{blue:02x}"


def svg(width: int, height: int, label: str, body: list[str]) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
            f'role="img" aria-label="{escape(label)}" {FONT}>' + "".join(body) + "</svg>")


def text(x: float, y: float, value: str, anchor: str = "start", extra: str = "") -> str:
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" {extra}>{escape(value)}</text>'


def rect(x: float, y: float, width: float, height: float, fill: str, title: str) -> str:
    return (f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(width, 0):.1f}" height="{height:.1f}" fill="{fill}">'
            f"<title>{escape(title)}</title></rect>")


def heatmap(cells: dict[tuple[date, int], tuple[int, int]], first: date, last: date, marked: dict[date, str]) -> str:
    """Slot utilisation (busy / slots) for each day from first to last (rows) and each clinic hour (columns).

    `cells` maps (day, hour) to (slots, busy); `marked` names days to flag beside their row (as-of, bank holidays).
    """
    hours = sorted({hour for _, hour in cells}) or [9]
    hours = list(range(hours[0], hours[-1] + 1))
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    cell_w, cell_h, left, top = 26, 14, 86, 22
    right = left + cell_w * len(hours)
    body = [text(left + cell_w * i + cell_w / 2, top - 8, f"{hour:02d}", "middle") for i, hour in enumerate(hours)]
    for row, day in enumerate(days):
        y = top + row * cell_h
        body.append(text(left - 6, y + cell_h - 3, day.strftime("%a %d %b"), "end"))
        for col, hour in enumerate(hours):
            slots, busy = cells.get((day, hour), (0, 0))
            when = f"{day.strftime('%a %d %b %Y')} {hour:02d}:00"
            if slots:
                body.append(rect(left + col * cell_w, y, cell_w - 1, cell_h - 1, shade(busy / slots),
                                 f"{when}: {busy} of {slots} slots busy ({busy / slots:.0%})"))
            else:
                body.append(rect(left + col * cell_w, y, cell_w - 1, cell_h - 1, EMPTY, f"{when}: no slots"))
        if day in marked:
            body.append(text(right + 6, y + cell_h - 3, marked[day], extra='fill="#444"'))
    legend_y = top + len(days) * cell_h + 14
    for i in range(11):
        body.append(rect(left + i * 18, legend_y, 18, 10, shade(i / 10), f"{i * 10}% busy"))
    body.append(text(left - 6, legend_y + 9, "0%", "end"))
    body.append(text(left + 11 * 18 + 6, legend_y + 9, "100% of slots busy"))
    body.append(rect(left + 11 * 18 + 130, legend_y, 18, 10, EMPTY, "no slots"))
    body.append(text(left + 11 * 18 + 154, legend_y + 9, "no slots"))
    return svg(right + 220, legend_y + 20, "Slot utilisation by day and hour", body)


def fill_bars(days: list[tuple[int, int, int]]) -> str:
    """Busy share of the slots on each day, by days ahead of the reference date (negative: history)."""
    bar_w, height, left, top, bottom = 16, 180, 40, 10, 34
    width = max(left + bar_w * len(days) + 20, 340)
    body = []
    for tick in (0, 0.25, 0.5, 0.75, 1.0):
        y = top + height * (1 - tick)
        body.append(f'<line x1="{left}" x2="{width - 20}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e2e8f0"/>')
        body.append(text(left - 4, y + 4, f"{tick:.0%}", "end"))
    for i, (ahead, slots, busy) in enumerate(days):
        share = busy / slots if slots else 0
        x = left + i * bar_w
        body.append(rect(x + 1, top + height * (1 - share), bar_w - 2, height * share, AHEAD if ahead >= 0 else PAST,
                         f"{ahead:+d} days: {busy} of {slots} slots busy ({share:.0%})"))
        if ahead % 7 == 0:
            body.append(text(x + bar_w / 2, top + height + 14, f"{ahead:+d}" if ahead else "0", "middle"))
    body.append(text(left, top + height + 30, "days ahead of the reference date (grey: history)"))
    return svg(width, top + height + bottom + 4, "Fill rate by days ahead", body)


def grouped_bars(rows: list[tuple[str, float, float]], series: tuple[str, str]) -> str:
    """Two horizontal bars per row (e.g. slots and appointments per delivery channel) on one count scale."""
    label_w, bar_max, bar_h, gap = 215, 250, 12, 10
    most = max((max(a, b) for _, a, b in rows), default=0) or 1
    body = []
    for s, name in enumerate(series):
        body.append(rect(label_w + s * 110, 2, 10, 10, SERIES[s], name))
        body.append(text(label_w + s * 110 + 14, 11, name))
    y = 22
    for label, *values in rows:
        body.append(text(label_w - 8, y + bar_h + 4, label, "end"))
        for s, value in enumerate(values):
            width = bar_max * value / most
            body.append(rect(label_w, y + s * bar_h, width, bar_h - 1, SERIES[s], f"{label}: {value:,} {series[s]}"))
            body.append(text(label_w + width + 4, y + s * bar_h + bar_h - 2, f"{value:,}"))
        y += 2 * bar_h + gap
    return svg(label_w + bar_max + 60, y, "Mix by " + " and ".join(series), body)


def pyramid(bands: list[tuple[str, int, int]]) -> str:
    """Age/sex pyramid: (band label, female, male) youngest first; drawn oldest at the top, male left, female right."""
    half, bar_h, centre_gap, top = 220, 14, 44, 20
    most = max((max(f, m) for _, f, m in bands), default=0) or 1
    middle = half + 50 + centre_gap / 2
    body = [text(middle - centre_gap / 2 - 4, 12, "male", "end", f'fill="{MALE}"'),
            text(middle + centre_gap / 2 + 4, 12, "female", "start", f'fill="{FEMALE}"')]
    for row, (label, female, male) in enumerate(reversed(bands)):
        y = top + row * bar_h
        male_w, female_w = half * male / most, half * female / most
        body.append(rect(middle - centre_gap / 2 - male_w, y, male_w, bar_h - 2, MALE, f"{label}: {male:,} male"))
        body.append(rect(middle + centre_gap / 2, y, female_w, bar_h - 2, FEMALE, f"{label}: {female:,} female"))
        body.append(text(middle, y + bar_h - 4, label, "middle"))
        body.append(text(middle - centre_gap / 2 - male_w - 4, y + bar_h - 4, f"{male:,}", "end", 'fill="#555"'))
        body.append(text(middle + centre_gap / 2 + female_w + 4, y + bar_h - 4, f"{female:,}", "start", 'fill="#555"'))
    return svg(int(2 * middle), top + len(bands) * bar_h + 6, "Patients by age and sex", body)
