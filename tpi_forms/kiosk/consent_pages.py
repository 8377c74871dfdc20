"""The consent on the tablet read part by part, with the understanding check (teach-back).

One group of risks a screen, with the sections read before it above it, a text size kept for
the check-in, "Part 2 of 5", back; one large control on each screen both acknowledges its group
and turns the page (one tap a group of risks, nothing else to tap); then the quiz of
`tpi_forms.definitions.quiz` (unless ``KioskConfig.consent_quiz`` is off); then the signing page
(`tpi_forms.kiosk.patient.consent`). Everything is a form post, so it works without JavaScript.

The server keeps the progress in the check-in's server session (never in the browser) and
decides: the signing POST is refused until every part was read, every group acknowledged and
every question answered, and the risk acknowledgements it hands to the consent parser are the
groups acknowledged here, never what the signing form says. Time on each screen, on each of
its sections (as the page script measured it on the screen; without the script, not recorded)
and every answer are audit events of the check-in (ids and seconds; the packet and staff
screens print words).
A question answered wrongly twice is flagged to staff on the check-in page.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from flask import Blueprint, abort, redirect, request, session, url_for
from flask_wtf.csrf import generate_csrf  # type: ignore[import-untyped]
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response as BaseResponse

from ..consent.document import ConsentDocument
from ..consent.fields import NAMES, RISKS_SECTION
from ..consent.highlights import patient_highlights
from ..definitions.consent import load_consent_definition
from ..definitions.quiz import Quiz, load_quiz
from ..web.consent_parts import (
    QUESTION,
    RISKS,
    TEXT_SIZES,
    ConsentPart,
    Feedback,
    Navigation,
    consent_parts,
    quiz_part_anchor,
    quiz_part_target,
    render_consent_part,
    render_consent_sign,
)
from . import flow
from .services import services
from .state import STEP_CONSENT, CheckInState
from .text import kiosk_text

blueprint = Blueprint("consent_pages", __name__)
SESSION_KEY = "consent_pages"
"""Where the session keeps the progress through the consent parts."""
LAYOUTS = ("paged", "single")
"""``KioskConfig.consent_layout``: part by part, or the whole consent on one page (0.1.0)."""
MAX_PART_SECONDS = 24 * 3600
QUIZ_MISSED = "quiz_missed"
"""Event kind of a question answered wrongly on the second try (staff are told)."""


def paged() -> bool:
    """Whether this kiosk shows the consent part by part."""
    return services().config.consent_layout == "paged"


def kiosk_quiz() -> Quiz | None:
    """The understanding check of this kiosk, or None when the clinic turned it off."""
    return load_quiz() if services().config.consent_quiz else None


def _key(part: ConsentPart) -> str:
    return f"{part.kind}:{part.id}"


def progress(state: CheckInState, document: ConsentDocument) -> dict[str, Any]:
    """This check-in's progress through ``document`` (a fresh one when the consent changed)."""
    kept = session.get(SESSION_KEY)
    if (
        isinstance(kept, Mapping)
        and kept.get("checkin") == state.checkin.id
        and kept.get("hash") == document.content_hash
    ):
        return dict(kept)
    same = isinstance(kept, Mapping) and kept.get("checkin") == state.checkin.id
    size = kept.get("size") if same and isinstance(kept, Mapping) else None  # this check-in's
    return {
        "checkin": state.checkin.id,
        "hash": document.content_hash,
        "size": size if size in TEXT_SIZES else "normal",
        "done": [],
        "seconds": {},
        "shown": {},
        "quiz": {},
        "banner": None,
    }


def _save(data: Mapping[str, Any]) -> None:
    session[SESSION_KEY] = dict(data)


def _parts(document: ConsentDocument) -> tuple[ConsentPart, ...]:
    return consent_parts(document, kiosk_quiz())


def first_unfinished(parts: tuple[ConsentPart, ...], data: Mapping[str, Any]) -> int | None:
    """The number of the first part not yet done, or None when all are."""
    done = set(data.get("done", ()))
    for n, part in enumerate(parts, start=1):
        if _key(part) not in done:
            return n
    return None


def _document(state: CheckInState) -> ConsentDocument:
    return flow.consent_document(state, services().clinic, flow_locale(state))


def flow_locale(state: CheckInState) -> str:
    return str(state.checkin.patient.get("locale") or "en")


def _checkin() -> CheckInState:
    from .patient import current_state

    state = current_state()
    if state is None or state.step != STEP_CONSENT or not paged():
        abort(redirect(url_for("patient.next_step")))
    return state


ATTEMPT = "attempt"
"""Hidden field of a quiz question: how many tries the page was shown after, so a double tap
on a wrong answer is not taken for the second try."""


def _nav(n: int, attempt: int | None = None) -> Navigation:
    hidden = {"csrf_token": generate_csrf()}
    if attempt is not None:
        hidden[ATTEMPT] = str(attempt)
    return Navigation(
        action=url_for("consent_pages.post_part", n=n),
        size_action=url_for("consent_pages.text_size", n=n),
        hidden=hidden,
    )


def _feedback(parts: tuple[ConsentPart, ...], quiz: Quiz | None, banner: Any) -> Feedback | None:
    if quiz is None or not isinstance(banner, Mapping):
        return None
    try:
        question = quiz.question(str(banner.get("question")))
    except KeyError:
        return None
    kind = str(banner.get("kind"))
    target = quiz_part_target(parts, question)
    href = url_for("consent_pages.part", n=target) + quiz_part_anchor(parts, question)
    return Feedback(kind, question, href)


@blueprint.get("/kiosk/consent/part/<int:n>")
def part(n: int) -> Any:
    state = _checkin()
    document = _document(state)
    parts = _parts(document)
    if not 1 <= n <= len(parts):
        abort(404)
    data = progress(state, document)
    data["shown"] = {**data["shown"], str(n): services().now().isoformat()}
    this = parts[n - 1]
    quiz = kiosk_quiz()
    banner = data.get("banner")
    feedback = None
    if isinstance(banner, Mapping) and banner.get("at") == n:
        feedback = _feedback(parts, quiz, banner)
        if not (this.kind == QUESTION and banner.get("kind") == "wrong"):
            data["banner"] = None  # shown once
    _save(data)
    svc = services()
    page = render_consent_part(
        document,
        parts,
        n,
        nav=_nav(n, _tries(data, this) if this.kind == QUESTION else None),
        size=data["size"],
        highlights=patient_highlights(document, state.answers or {}, svc.today()),
        quiz=quiz,
        acknowledged=_key(this) in data["done"] and this.kind == RISKS,
        feedback=feedback,
        options=flow._page_options(flow_locale(state)),
    )
    return page


def _tries(data: Mapping[str, Any], part: ConsentPart) -> int:
    record = data.get("quiz", {}).get(part.id) or {}
    return int(record.get("tries", 0))


def _seconds(data: Mapping[str, Any], n: int, now: dt.datetime) -> int:
    shown = data.get("shown", {}).get(str(n))
    try:
        started = dt.datetime.fromisoformat(str(shown))
    except ValueError:
        return 0
    return max(0, min(MAX_PART_SECONDS, int((now - started).total_seconds())))


@blueprint.post("/kiosk/consent/part/<int:n>")
def post_part(n: int) -> BaseResponse:
    state = _checkin()
    svc = services()
    document = _document(state)
    parts = _parts(document)
    if not 1 <= n <= len(parts):
        abort(404)
    data = progress(state, document)
    this = parts[n - 1]
    go = request.form.get("go", "")
    if this.kind == QUESTION and "choice" in request.form:
        return _answer(state, data, parts, n, str(request.form["choice"]))
    if go not in ("back", "next", "ack"):
        abort(400)
    seconds = _seconds(data, n, svc.now())
    data["seconds"] = {**data["seconds"], _key(this): data["seconds"].get(_key(this), 0) + seconds}
    if this.kind != QUESTION:
        for section in this.sections:
            detail: dict[str, str | int] = {"section": section}
            on_screen = _posted_seconds(f"seconds-{section}", seconds)
            if on_screen is not None:
                detail["seconds"] = on_screen
            svc.store.add_event(state.checkin.id, "consent_section_read", detail)
    if this.kind == RISKS:
        acked = go == "ack"
        detail = {"group": this.id, "seconds": seconds, "acknowledged": "yes" if acked else "no"}
        svc.store.add_event(state.checkin.id, "consent_risks_read", detail)
        if acked:
            data["done"] = [*data["done"], _key(this)]
    elif this.kind != QUESTION:
        if go == "next":
            data["done"] = [*data["done"], _key(this)]
    elif go == "next" and _key(this) not in data["done"]:
        go = "stay"  # a question is passed by answering it
    _save(data)
    if go == "back":
        return redirect(url_for("consent_pages.part", n=max(1, n - 1)))
    if go == "stay":
        return redirect(url_for("consent_pages.part", n=n))
    return redirect(_after(parts, n))


def _posted_seconds(name: str, most: int) -> int | None:
    """The seconds the page script posted as ``name``, never more than ``most`` (the screen's
    own time); None when it posted none."""
    try:
        value = int(request.form.get(name, ""))
    except ValueError:
        return None
    return max(0, min(most, value))


def _after(parts: tuple[ConsentPart, ...], n: int) -> str:
    if n >= len(parts):
        return url_for("patient.consent")
    return url_for("consent_pages.part", n=n + 1)


def _answer(
    state: CheckInState, data: dict[str, Any], parts: tuple[ConsentPart, ...], n: int, choice: str
) -> BaseResponse:
    quiz = kiosk_quiz()
    if quiz is None:
        abort(404)
    question = quiz.question(parts[n - 1].id)
    if choice not in {c.id for c in question.choices}:
        abort(400)
    svc = services()
    record = dict(data["quiz"].get(question.id) or {"tries": 0, "right": None})
    if record.get("right") is not None:  # answered already (a double tap): go on
        return redirect(_after(parts, n))
    if request.form.get(ATTEMPT) != str(record["tries"]):  # a double tap on a wrong answer
        return redirect(url_for("consent_pages.part", n=n))
    record["tries"] = int(record["tries"]) + 1
    right = choice == question.answer
    svc.store.add_event(
        state.checkin.id,
        "quiz_answered",
        {"question": question.id, "result": "right" if right else "wrong", "try": record["tries"]},
    )
    if right or record["tries"] >= 2:
        record["right"] = right
        data["done"] = [*data["done"], f"{QUESTION}:{question.id}"]
        kind = "right" if right else "missed"
        if not right:
            svc.store.add_event(state.checkin.id, QUIZ_MISSED, {"question": question.id})
        data["banner"] = {"kind": kind, "question": question.id, "at": n + 1}
        target = _after(parts, n)
    else:
        data["banner"] = {"kind": "wrong", "question": question.id, "at": n}
        target = url_for("consent_pages.part", n=n)
    data["quiz"] = {**data["quiz"], question.id: record}
    _save(data)
    return redirect(target)


@blueprint.post("/kiosk/consent/size/<int:n>")
def text_size(n: int) -> BaseResponse:
    """Keep the text size for this check-in; back to part ``n`` (0: the signing page)."""
    state = _checkin()
    size = request.form.get("size", "")
    if size not in TEXT_SIZES:
        abort(400)
    data = progress(state, _document(state))
    data["size"] = size
    _save(data)
    if n == 0:
        return redirect(url_for("patient.consent"))
    return redirect(url_for("consent_pages.part", n=n))


def sign_page(
    state: CheckInState,
    document: ConsentDocument,
    token: str,
    *,
    values: Mapping[str, Any] | None = None,
    errors: Mapping[str, Any] | None = None,
) -> Any:
    """The signing page, or a redirect to the first part not yet done."""
    parts = _parts(document)
    data = progress(state, document)
    missing = first_unfinished(parts, data)
    if missing is not None:
        return redirect(url_for("consent_pages.part", n=missing))
    banner = data.get("banner")
    feedback = None
    if isinstance(banner, Mapping) and banner.get("at") == len(parts) + 1:
        feedback = _feedback(parts, kiosk_quiz(), banner)
        data["banner"] = None
        _save(data)
    return render_consent_sign(
        document,
        nav=Navigation(
            action=url_for("patient.consent"),
            size_action=url_for("consent_pages.text_size", n=0),
            hidden={"csrf_token": generate_csrf(), "submission_token": token},
            back_href=url_for("consent_pages.part", n=len(parts)),
        ),
        roles=flow.signer_roles(document),
        required_signers=flow.required_signers(state),
        values=values,
        errors=errors,
        size=data["size"],
        feedback=feedback,
        options=flow._page_options(flow_locale(state)),
    )


def signing_form(
    state: CheckInState, document: ConsentDocument, posted: Mapping[str, Any]
) -> MultiDict[str, str] | None:
    """What the consent parser gets from a signing POST: the posted signatures, with the risk
    acknowledgements and evidence of review the server kept; None while a part is not done."""
    parts = _parts(document)
    data = progress(state, document)
    if first_unfinished(parts, data) is not None:
        return None
    acked = {p.id for p in parts if p.kind == RISKS and _key(p) in data["done"]}
    getlist = getattr(posted, "getlist", None)
    pairs: list[tuple[str, str]] = []
    for key in posted:
        if key.startswith(("risk-", "review-")):
            continue
        values = getlist(key) if getlist else [posted[key]]
        pairs.extend((key, str(v)) for v in values)
    pairs += [(NAMES.risk(r.id), "yes") for r in document.risks if r.group in acked]
    seconds = sum(int(v) for v in data["seconds"].values())
    read = [section for p in parts if p.kind != QUESTION for section in p.sections]
    if acked:
        read.append(RISKS_SECTION)
    pairs += [
        (NAMES.review("script"), "1"),
        (NAMES.review("seconds"), str(seconds)),
        (NAMES.review("sections"), " ".join(read)),
        (NAMES.review("reached_end"), "1"),
    ]
    return MultiDict(pairs)


def consent_titles(locale: str) -> dict[str, Any]:
    """The shipped consent's section, risk group, risk and signer names in ``locale`` (English
    when it has none), shaped like a consent record: staff screens name the parts of the
    consent a check-in's events mention before any consent is signed."""
    definition = load_consent_definition()
    where = locale if locale in definition.locales else "en"
    return {
        "locale": where,
        "sections": [{"id": s.id, "title": s.title.get(where)} for s in definition.sections],
        "risk_groups": [{"id": g.id, "title": g.title.get(where)} for g in definition.risk_groups],
        "risks": [{"id": r.id, "name": r.name.get(where)} for r in definition.risks],
        "signer_roles": [{"id": r.id, "title": r.title.get(where)} for r in definition.signers],
    }


@blueprint.app_context_processor
def staff_flags() -> dict[str, Any]:
    """``quiz_flags(checkin_id, locale)`` for the staff check-in page: the questions a patient
    answered wrongly twice, in words."""

    def quiz_flags(checkin_id: str, locale: str) -> list[str]:
        quiz = load_quiz()
        words = kiosk_text(locale)
        where = locale if locale in quiz.locales else "en"
        found: list[str] = []
        for event in services().store.events(checkin_id, kinds=(QUIZ_MISSED,)):
            try:
                question = quiz.question(str(event.detail.get("question")))
            except KeyError:
                continue
            line = words["checkin.quiz_missed"].format(topic=question.topic.get(where))
            if line not in found:
                found.append(line)
        return found

    return {"quiz_flags": quiz_flags}
