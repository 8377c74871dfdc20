"""A check-in on the tablet as a patient does it: taps, scroll gestures and seconds, old and new.

Starts a kiosk from each source tree in its own process (this checkout, and with ``--old`` a
checkout of an earlier version, e.g. 0.1.0: ``git worktree add /tmp/v010 98e03f2``) and drives
a self check-in with the clear scenario in headless Chromium at 1024 x 768 with touch, the way
a patient would: swipe until what must be tapped is on the screen, tap it, type. Each part of
the check-in (``PARTS``: the screening, and the consent from its first screen to signed) is
measured alone and printed side by side (the screening with the review of the answers
that follows it, when the version has one), for this tree's kiosk with the one-page consent of
0.1.0 (``consent_layout="single"``: a scroll box, a tick a risk) and with the paged consent and
its understanding check (``paged``), and with ``--old`` for the earlier version too:

    python3 bench/bench_tablet.py --old /tmp/v010

Each part runs ``--rounds`` times (3): the counts must agree, the seconds are the median. A
swipe scrolls 60 % of the screen, up or down, however little is missing. Taps count every touch
(a text box is tapped, then typed into: typed characters are counted apart). Seconds are the
scripted time of the part on this machine: compare the flows of one run, not across machines.

The "of them ack" column counts the taps that acknowledge risks (a tick each on one page, one
button a group when paged) or answer the understanding check; the rest turn pages, sign, send.
"consent taps" counts every tap from the consent's first screen to its last before the
understanding check or the signing page (page turns, acknowledgements, ticks, anything else),
"groups" the groups of risks the consent lists (on one page: the groups of the risks ticked).
After the table, a line a flow sums the full check-in (the screening and the consent).

It exits with 1 when the paged consent needs more consent taps than it has groups of risks,
more acknowledging taps than groups and answers, or not fewer swipes than 0.1.0's consent
(``old`` with ``--old``, else the one-page layout). The full check-in's swipes are compared
too and printed, not judged (the screening and its review are not the consent's to mend).

The "one answer forgotten" row leaves a required answer of step 2 out on the first pass, as
patients do: it shows what each flow asks of the patient to notice and mend it.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Locator, Page, sync_playwright

from tpi_forms.definitions.consent import load_consent_definition
from tpi_forms.screening.scenarios import example_answers

HERE = Path(__file__).resolve().parent.parent
QUIZ = HERE / "tpi_forms" / "definitions" / "tpi_quiz.toml"
QUIZ_ANSWERS = {q["id"]: q["answer"] for q in tomllib.loads(QUIZ.read_text())["questions"]}
"""The right answer of each question of the understanding check (the patient knows them)."""
GROUP_OF = {r.id: r.group for r in load_consent_definition().risks}
"""The group of each risk of this tree's consent (a risk it does not know is a group alone)."""
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1024, "height": 768}
SWIPE = 0.6
"""How much of the screen one swipe scrolls."""
FORGOTTEN = "pain_duration"
"""The answer the ``forgot`` case leaves out on the first pass (a required question, step 2)."""

LAUNCH = """
import sys
from pathlib import Path
from werkzeug.serving import make_server
from tpi_forms.kiosk.app import create_app
from tpi_forms.kiosk.config import KioskConfig

settings = {"consent_layout": sys.argv[2]} if len(sys.argv) > 2 else {}
app = create_app(
    KioskConfig(data_dir=Path(sys.argv[1]), idle_timeout=3600, log_file=False, **settings)
)
httpd = make_server("127.0.0.1", 0, app, threaded=True)
print(httpd.server_port, flush=True)
httpd.serve_forever()
"""


COVERED_FROM = """e => {
    const r = e.getBoundingClientRect();
    const found = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
    if (!found || e === found || e.contains(found) || (e.control && e.control === found)) {
        return null;
    }
    for (let n = found; n && n !== document.body; n = n.parentElement) {
        const position = getComputedStyle(n).position;
        if (position === 'sticky' || position === 'fixed') { return n.getBoundingClientRect().top; }
    }
    return found.getBoundingClientRect().top;
}"""
"""Where on the screen whatever covers the middle of an element begins (None: nothing does)."""


@dataclass
class Count:
    """What one part of the check-in took."""

    taps: int = 0
    """Touches on the screen."""
    swipes: int = 0
    """Scroll gestures."""
    typed: int = 0
    """Characters typed."""
    acknowledgements: int = 0
    """Of the taps: those that acknowledge risks (a tick or a group's button) or answer the
    understanding check."""
    groups: int = 0
    """Groups of risks the consent lists (paged: its screens before the understanding check)."""
    consent_taps: int = 0
    """Of the taps: those from the consent's first screen to its last before the understanding
    check or the signing page, whatever they do."""
    answers: int = 0
    """Answers to the understanding check."""
    seconds: float = 0.0
    """Scripted time of the part."""


@dataclass
class Patient:
    """Drives a page by touch and counts what it does."""

    page: Page
    count: Count = field(default_factory=Count)

    def bring_into_view(self, target: Locator) -> None:
        """Swipe until ``target`` is wholly on the screen and nothing (a sticky bar) covers it."""
        height = VIEWPORT["height"]
        for _ in range(200):
            box = target.bounding_box()
            if box is None:
                raise RuntimeError("the element to tap is not shown")
            if box["y"] >= 0 and box["y"] + box["height"] <= height:
                covered_from = target.evaluate(COVERED_FROM)
                if covered_from is None:
                    return
                need = box["y"] + box["height"] - covered_from
            else:
                need = box["y"] + box["height"] - height if box["y"] > 0 else box["y"]
            dy = math.copysign(SWIPE * height, need)  # a whole swipe, however little is missing
            self.page.evaluate("dy => window.scrollBy({ top: dy, behavior: 'instant' })", dy)
            self.count.swipes += 1
        raise RuntimeError("could not bring the element into view")

    def tap(self, target: Locator, at_start: bool = False) -> None:
        """Tap the middle of ``target`` (its first few pixels with ``at_start``)."""
        self.bring_into_view(target)
        box = target.bounding_box()
        assert box is not None
        x = box["x"] + (min(24, box["width"] / 2) if at_start else box["width"] / 2)
        self.page.touchscreen.tap(x, box["y"] + box["height"] / 2)
        self.count.taps += 1

    def type_into(self, box: Locator, text: str) -> None:
        is_date = box.get_attribute("type") == "date"
        self.tap(box, at_start=is_date)  # a date field: its month, the first part
        if is_date:
            year, month, day = text.split("-")
            text = month + day + year  # as Chromium's en-US date field takes it
        self.page.keyboard.type(text)
        self.count.typed += len(text)


def posted(value: Any) -> list[str]:
    items = value if isinstance(value, list) else [value]
    return ["yes" if v is True else "no" if v is False else str(v) for v in items]


def answer_step(patient: Patient, answers: dict[str, Any], skip: set[str]) -> None:
    """Answer the questions shown on this step that are not answered yet (follow-ups too)."""
    page = patient.page
    done: set[str] = set()
    while True:
        shown = page.eval_on_selector_all(
            "[data-tpi-step]:not([hidden]) [data-tpi-question]:not([hidden])",
            "els => els.map(e => e.getAttribute('data-tpi-question'))",
        )
        todo = [q for q in shown if q not in done and q in answers and q not in skip]
        if not todo:
            return
        qid = todo[0]
        done.add(qid)
        wrapper = page.locator(f'[data-tpi-question="{qid}"]')
        if wrapper.locator("input[type=radio], input[type=checkbox]").count():
            for value in posted(answers[qid]):
                option = wrapper.locator(f'input[value="{value}"]')
                if not option.is_checked():
                    patient.tap(page.locator(f'label[for="{option.get_attribute("id")}"]'))
        else:
            box = wrapper.locator("input, textarea").first
            if box.input_value() != str(answers[qid]):
                box.fill("")
                patient.type_into(box, str(answers[qid]))


def screening(patient: Patient, base_url: str, forgot: bool) -> None:
    """From the start screen to the screening stored: start, every step, send."""
    page = patient.page
    answers = example_answers("clear")
    skip = {FORGOTTEN} if forgot else set()
    patient.tap(page.get_by_role("button", name="Start check-in"))
    page.wait_for_url(f"{base_url}/kiosk/screening")
    for _ in range(100):
        if not page.url.startswith(f"{base_url}/kiosk/screening"):
            certify(patient, base_url, counted=True)
            return
        step = page.locator("[data-tpi-step]:not([hidden])")
        if skip and step.locator(".tpi-error-message").count():
            skip = set()  # the patient sees what was missed
        answer_step(patient, answers, skip)
        send = page.locator("[data-tpi-submit]")
        if send.is_visible():
            send_and_wait(patient, send)
        else:
            patient.tap(page.locator("[data-tpi-next]"))
    raise RuntimeError("the screening never ended")


def certify(patient: Patient, base_url: str, counted: bool) -> None:
    """On the review of the answers (when this version has one), say they are right, go on."""
    page = patient.page
    if not page.url.startswith(f"{base_url}/kiosk/check"):
        return
    tick = page.locator('label[for="answers_true"]')
    send = page.locator("form.kiosk-certify button[type=submit]")
    if counted:
        patient.tap(tick, at_start=True)
        go(patient, send)
        return
    tick.click()
    with page.expect_navigation():
        send.click()


def send_and_wait(patient: Patient, send: Locator) -> None:
    """Tap Send, then wait for the next page or for the page's own refusal."""
    page = patient.page
    page.evaluate("window.__benchSent = true")
    patient.tap(send)
    state = """() => window.__benchSent !== true ? 'loaded'
        : document.querySelector('[data-tpi-step]:not([hidden]) .tpi-error-message')
        ? 'refused' : 'waiting'"""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            found = page.evaluate(state)
        except PlaywrightError:  # the page is being replaced
            found = "waiting"
        if found == "refused":
            return
        if found == "loaded":
            page.wait_for_load_state()
            return
        page.wait_for_timeout(50)
    raise RuntimeError("nothing happened after Send")


PATIENT_NAME = "Alex Example"


def to_consent(page: Page, base_url: str) -> None:
    """Start a self check-in, send the clear screening and confirm the answers on their review
    without counting (another part)."""
    import re

    page.get_by_role("button", name="Start check-in").click()
    page.wait_for_url(f"{base_url}/kiosk/screening")
    html = page.content()
    token = {
        name: re.search(rf'name="{name}"[^>]*value="([^"]+)"', html)
        or re.search(rf'value="([^"]+)"[^>]*name="{name}"', html)
        for name in ("csrf_token", "submission_token")
    }
    form = {name: found.group(1) for name, found in token.items() if found is not None}
    pairs = [(k, v) for k, value in example_answers("clear").items() for v in posted(value)]
    body = "&".join(f"{quote(k)}={quote(v)}" for k, v in [*form.items(), *pairs])
    sent = page.request.post(
        f"{base_url}/kiosk/screening",
        data=body,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    if not sent.ok:
        raise RuntimeError(f"the screening was refused ({sent.status})")
    page.goto(f"{base_url}/kiosk/next")
    certify(Patient(page), base_url, counted=False)
    page.goto(f"{base_url}/kiosk/consent")


def go(patient: Patient, target: Locator) -> None:
    """Tap a control that loads the next page, and wait for it."""
    with patient.page.expect_navigation():
        patient.tap(target)


def read_box(patient: Patient, box: Locator, end: Locator) -> None:
    """Swipe inside the scroll box until its end marker shows (the one-page consent)."""
    patient.bring_into_view(box)
    for _ in range(200):
        inner = box.bounding_box()
        mark = end.bounding_box()
        assert inner is not None and mark is not None
        if mark["y"] <= inner["y"] + inner["height"]:
            return
        dy = SWIPE * inner["height"]
        box.evaluate("(e, dy) => e.scrollBy({ top: dy, behavior: 'instant' })", dy)
        patient.count.swipes += 1
    raise RuntimeError("the end of the consent text never showed")


def sign_typed(patient: Patient) -> None:
    """Agree to sign on the screen, type the name as the signature, send."""
    page = patient.page
    patient.tap(page.locator('label[for="esign_consent"]'), at_start=True)
    patient.tap(page.locator('label[for="patient-method-typed"]'))
    patient.type_into(page.locator("#patient-printed_name"), PATIENT_NAME)
    patient.tap(page.locator('label[for="patient-intent"]'), at_start=True)
    go(patient, page.get_by_role("button", name="Sign and send"))
    if "/kiosk/done" not in page.url:
        raise RuntimeError("the consent was not signed")


def consent(patient: Patient, base_url: str) -> None:
    """From the consent's first screen to signed: the one-page layout or the paged one."""
    page = patient.page
    to_consent(page, base_url)
    if page.locator("[data-tpi-consent-text]").count():  # one page: a scroll box, a tick a risk
        read_box(
            patient, page.locator("[data-tpi-consent-text]"), page.locator("[data-tpi-consent-end]")
        )
        ticks = page.locator('label.tpi-check[for^="risk-"]').all()
        risks = {str(t.get_attribute("for")).removeprefix("risk-") for t in ticks}
        patient.count.groups = len({GROUP_OF.get(r, r) for r in risks})
        for tick in ticks:
            patient.tap(tick, at_start=True)
            patient.count.acknowledgements += 1
        patient.count.consent_taps = patient.count.taps
        sign_typed(patient)
        return
    for _ in range(100):
        if page.locator("[data-tpi-consent-sign]").count():
            sign_typed(patient)
            return
        kind = page.locator("[data-tpi-consent-part]").get_attribute("data-tpi-consent-part")
        if kind == "quiz":
            qid = page.locator("[data-tpi-part-id]").get_attribute("data-tpi-part-id")
            go(patient, page.locator(f'[data-tpi-choice="{QUIZ_ANSWERS[qid]}"]'))
            patient.count.acknowledgements += 1
            patient.count.answers += 1
        else:
            before = patient.count.taps
            go(patient, page.locator("[data-tpi-part-next]"))
            patient.count.consent_taps += patient.count.taps - before
            if kind == "risks":
                patient.count.acknowledgements += 1
                patient.count.groups += 1
    raise RuntimeError("the consent parts never ended")


@dataclass(frozen=True)
class Part:
    """One part of the check-in, measured alone."""

    name: str
    """What the row is called."""
    run: Callable[[Patient, str], None]
    """Drives the part, from where the last part left the tablet."""


PARTS = (
    Part("screening", lambda p, url: screening(p, url, forgot=False)),
    Part("screening, one answer forgotten", lambda p, url: screening(p, url, forgot=True)),
    Part("consent, read and signed", consent),
)
"""The parts measured, each on a fresh tablet."""


@contextlib.contextmanager
def kiosk(tree: Path, layout: str | None = None) -> Iterator[str]:
    """A kiosk served from the source tree ``tree`` (with its consent ``layout``, when given);
    yields its base URL."""
    with tempfile.TemporaryDirectory() as data:
        env = {**os.environ, "PYTHONPATH": str(tree), "PYTHONDONTWRITEBYTECODE": "1"}
        server = subprocess.Popen(
            [sys.executable, "-c", LAUNCH, data, *([layout] if layout else [])],
            cwd=tree,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        try:
            assert server.stdout is not None
            port = server.stdout.readline().strip()
            if not port.isdigit():
                raise RuntimeError(f"the kiosk from {tree} did not start")
            yield f"http://127.0.0.1:{port}"
        finally:
            server.terminate()
            server.wait(timeout=10)


def measure(tree: Path, layout: str | None, browser: Any, rounds: int) -> dict[str, Count]:
    """Every part of `PARTS` on the kiosk of ``tree`` (consent ``layout``), each on a fresh
    tablet, ``rounds`` times: the counts (the same every round) and the median seconds."""
    out: dict[str, Count] = {}
    with kiosk(tree, layout) as url:
        for part in PARTS:
            runs = []
            for _ in range(rounds):
                context = browser.new_context(viewport=VIEWPORT, has_touch=True)
                page = context.new_page()
                page.goto(url)
                patient = Patient(page)
                started = time.perf_counter()
                part.run(patient, url)
                patient.count.seconds = time.perf_counter() - started
                runs.append(patient.count)
                context.close()
            counts = {(c.taps, c.swipes, c.typed, c.acknowledgements, c.consent_taps) for c in runs}
            if len(counts) != 1:
                raise RuntimeError(f"{part.name}: the counts differ from round to round: {counts}")
            out[part.name] = dataclasses.replace(
                runs[0], seconds=statistics.median(c.seconds for c in runs)
            )
    return out


CONSENT = "consent, read and signed"
FULL = ("screening", CONSENT)
"""The parts of a full check-in with nothing forgotten."""


def table(results: dict[str, dict[str, Count]]) -> str:
    flows = list(results)
    lines = [
        f"{'part':34} {'flow':>8} {'taps':>5} {'consent taps':>13} {'groups':>7}"
        f" {'of them ack':>12} {'swipes':>7} {'typed':>6} {'seconds':>8}"
    ]
    for part in PARTS:
        for flow in flows:
            c = results[flow][part.name]
            on_consent = part.name == CONSENT
            lines.append(
                f"{part.name:34} {flow:>8} {c.taps:5}"
                f" {c.consent_taps if on_consent else '-':>13} {c.groups if on_consent else '-':>7}"
                f" {c.acknowledgements:12} {c.swipes:7} {c.typed:6} {c.seconds:8.1f}"
            )
    return "\n".join(lines)


def full(counts: dict[str, Count]) -> Count:
    """The full check-in (`FULL`): its parts added up, the consent's counts of it kept."""
    parts = [counts[name] for name in FULL]
    return dataclasses.replace(
        counts[CONSENT],
        taps=sum(c.taps for c in parts),
        swipes=sum(c.swipes for c in parts),
        typed=sum(c.typed for c in parts),
        acknowledgements=sum(c.acknowledgements for c in parts),
        seconds=sum(c.seconds for c in parts),
    )


def summary(name: str, counts: dict[str, Count]) -> str:
    c, whole = counts[CONSENT], full(counts)
    return (
        f"{name:>8}: {c.consent_taps} taps on the consent for {c.groups} groups of risks;"
        f" full check-in {whole.taps} taps, {whole.acknowledgements} acknowledging,"
        f" {whole.swipes} swipes, {whole.seconds:.1f} s (consent: {c.taps} taps,"
        f" {c.swipes} swipes, {c.seconds:.1f} s)"
    )


def problems(results: dict[str, dict[str, Count]]) -> list[str]:
    """Where the paged consent misses its targets (empty: it meets them all)."""
    paged = results["paged"][CONSENT]
    base_name = "old" if "old" in results else "single"
    base = results[base_name]
    found = []
    if paged.consent_taps > paged.groups:
        found.append(f"{paged.consent_taps} taps on the consent for {paged.groups} groups")
    if paged.acknowledgements > paged.groups + paged.answers:
        found.append(
            f"{paged.acknowledgements} acknowledging taps for {paged.groups} groups"
            f" and {paged.answers} answers"
        )
    if paged.swipes >= base[CONSENT].swipes:
        found.append(f"consent: {paged.swipes} swipes, {base_name}: {base[CONSENT].swipes}")
    return found


def check_in_swipes(results: dict[str, dict[str, Count]]) -> str:
    """The full check-in's swipes, paged against 0.1.0's flow, in words."""
    base_name = "old" if "old" in results else "single"
    whole, other = full(results["paged"]), full(results[base_name])
    than = "fewer" if whole.swipes < other.swipes else "not fewer"
    return (
        f"full check-in: paged {whole.swipes} swipes, {base_name} {other.swipes} ({than});"
        f" of them on the screening and its review: {results['paged']['screening'].swipes}"
        f" against {results[base_name]['screening'].swipes}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--old", type=Path, help="source tree of the earlier version to compare")
    parser.add_argument("--new", type=Path, default=HERE, help="source tree (default: this one)")
    parser.add_argument(
        "--rounds", type=int, default=3, help="runs of each part; seconds are their median"
    )
    args = parser.parse_args(argv)
    flows: dict[str, tuple[Path, str | None]] = {
        "single": (args.new, "single"),
        "paged": (args.new, "paged"),
    }
    if args.old is not None:
        flows = {"old": (args.old, None), **flows}
    for tree, _ in flows.values():
        if not (tree / "tpi_forms" / "kiosk" / "app.py").is_file():
            parser.error(f"{tree} is not a tpi_forms source tree with a kiosk")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            results = {
                name: measure(tree, layout, browser, args.rounds)
                for name, (tree, layout) in flows.items()
            }
        finally:
            browser.close()
    size = f"{VIEWPORT['width']}x{VIEWPORT['height']}"
    print(f"Tablet check-in, clear scenario, {size} touch, median of {args.rounds} rounds")
    print(table(results))
    for name, counts in results.items():
        print(summary(name, counts))
    print(check_in_swipes(results))
    missed = problems(results)
    if missed:
        print("the paged consent misses its targets: " + "; ".join(missed), file=sys.stderr)
        return 1
    print("the paged consent meets its targets")
    return 0


if __name__ == "__main__":
    sys.exit(main())
