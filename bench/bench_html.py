"""Server-side render time and page weight of the HTML forms.

Times (median of many warm runs) rendering the kiosk screening page, the portal fragment and the
consent review-and-sign page, and sums the bytes a tablet downloads for each page (HTML + CSS +
JavaScript; nothing else is fetched). Run::

    python bench/bench_html.py [--runs 300]
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import statistics
import time
from collections.abc import Callable

from werkzeug.datastructures import MultiDict

from tpi_forms.consent.document import build_consent
from tpi_forms.definitions.clinic import sample_clinic
from tpi_forms.screening.procedure import PlannedProcedure
from tpi_forms.screening.scenarios import example_answers
from tpi_forms.web.forms import build_form_class, to_formdata
from tpi_forms.web.html import (
    PageOptions,
    render_consent_page,
    render_form_html,
    render_kiosk_page,
    static_files,
)
from tpi_forms.web.screening_form import ScreeningForm

PAGE_ASSETS = {
    "kiosk page": ("tpi-forms.css", "tpi-forms.js"),
    "portal fragment": ("tpi-forms.css", "tpi-forms.js"),
    "kiosk page, answers + errors": ("tpi-forms.css", "tpi-forms.js"),
    "consent page": ("tpi-forms.css", "signature-pad.js", "consent.js"),
}


def median_ms(render: Callable[[], str], runs: int) -> tuple[float, str]:
    html = render()  # warm: templates compiled, definitions cached
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        render()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000, html


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=300)
    args = parser.parse_args()
    links = PageOptions(locale_links={"en": "/en", "es": "/es"})
    form_class = build_form_class(locale="en")
    today = dt.date(2026, 3, 2)

    def blank() -> ScreeningForm:
        form = form_class()
        form.as_of = today
        return form

    def with_errors() -> ScreeningForm:
        answers = example_answers("review")
        answers["pain_score"] = 11
        form = form_class(MultiDict(to_formdata(answers)))
        form.as_of = today
        form.validate()
        return form

    errored = with_errors()
    document = build_consent(PlannedProcedure(sites=("neck", "upper_back")), sample_clinic(), "en")
    cases: dict[str, Callable[[], str]] = {
        "kiosk page": lambda: render_kiosk_page(blank(), action="/s", options=links),
        "portal fragment": lambda: render_form_html(blank(), action="/s"),
        "kiosk page, answers + errors": lambda: render_kiosk_page(
            errored, action="/s", options=links
        ),
        "consent page": lambda: render_consent_page(document, action="/c", options=links),
    }
    assets = {name: path.read_bytes() for name, path in static_files().items()}
    print(f"{'page':30} {'median ms':>10} {'HTML':>8} {'CSS+JS':>8} {'total':>8} {'gzip':>8}")
    for name, render in cases.items():
        ms, html = median_ms(render, args.runs)
        page = html.encode("utf-8")
        extra = [assets[a] for a in PAGE_ASSETS[name]]
        total = len(page) + sum(len(b) for b in extra)
        zipped = len(gzip.compress(page)) + sum(len(gzip.compress(b)) for b in extra)
        print(f"{name:30} {ms:10.2f} {len(page):8d} {total - len(page):8d} {total:8d} {zipped:8d}")
    print("bytes; 'gzip' is the total as served compressed. No fonts, images or other requests.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
