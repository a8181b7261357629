"""The dataset report as one self-contained HTML file: the store's figures, charted, through templates/report.html.j2."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from markupsafe import Markup

from .. import __version__
from ..fhir.constants import RESOURCE_TYPES
from ..output import atomic_file
from ..store.database import open_store, store_info
from ..templating import render
from . import charts, queries, realism

TEMPLATE = "report.html.j2"


@dataclass(frozen=True)
class Report:
    """What `gpsynth report` wrote: where, and the figures a caller may want to print."""

    path: Path
    counts: dict[str, int]
    practices: int


def report_html(store: Path) -> tuple[str, dict[str, int], int]:
    """The report page for a store, with the resource counts and the number of practices it holds."""
    con = open_store(store)
    try:
        info = store_info(con)
        window = queries.horizon(info)
        practices = queries.practice_counts(con)
        cells = queries.slot_cells(con)
        fill = queries.fill_by_days_ahead(cells, info.as_of)
        channels, roles = queries.channel_mix(con), queries.role_mix(con)
        bands, other_gender = queries.age_bands(con, info.as_of)
        events = queries.calendar_events(con, window)
        special, special_total = queries.special_patients(con)
        metrics, age_rates = realism.realism_metrics(con, info), realism.rates_by_age(con, info)
    finally:
        con.close()
    totals = {t: sum(p.counts[t] for p in practices) for t in RESOURCE_TYPES}
    marked = {e.day: e.what.split(":")[0] for e in events}
    marked[info.as_of] = "reference date" + (f", {marked[info.as_of].lower()}" if info.as_of in marked else "")
    past = [(slots, busy) for ahead, slots, busy in fill if ahead < 0]
    practice_rows = [p for p in practices if p.shard > 0]
    html = render(
        TEMPLATE,
        info=info, window=window, store_name=Path(store).name, resource_types=RESOURCE_TYPES, totals=totals,
        consumers=[p for p in practices if p.shard == 0], practices=practice_rows[:queries.MOST_PRACTICE_ROWS],
        practices_total=len(practice_rows),
        heatmap=Markup(charts.heatmap({(c.day, c.hour): (c.slots, c.busy) for c in cells}, window.first, window.last,
                                      marked)),
        fill_chart=Markup(charts.fill_bars(fill)), fill=[row for row in fill if row[0] >= 0],
        past_slots=sum(s for s, _ in past), past_busy=sum(b for _, b in past),
        channels=channels, channel_chart=Markup(charts.grouped_bars(
            [(m.label, m.slots, m.appointments) for m in channels], ("slots", "appointments"))),
        roles=roles, role_chart=Markup(charts.grouped_bars(
            [(m.label, m.slots, m.appointments) for m in roles], ("slots", "appointments"))),
        bands=bands, other_gender=other_gender,
        pyramid=Markup(charts.pyramid([(b.label, b.female, b.male) for b in bands])),
        events=events, special=special, special_total=special_total,
        metrics=metrics, age_rates=age_rates,
        age_rate_chart=Markup(charts.grouped_bars(age_rates, ("this dataset", "scenario rate"))) if age_rates else "",
        version=__version__, written=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    )
    return html, totals, len(practice_rows)


def write_report(store: Path | str, out: Path | str) -> Report:
    """Write the report for `store` to the file `out`, whole or not at all."""
    store, out = Path(store), Path(out)
    html, totals, practices = report_html(store)
    with atomic_file(out) as work:
        work.write_text(html, encoding="utf-8")
    return Report(out, totals, practices)
