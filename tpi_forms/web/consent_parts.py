"""The consent read part by part: one screen a group of risks, then the understanding check
(teach-back), then the signing page.

`consent_parts` cuts a `ConsentDocument` into `ConsentPart` s: each group of risks is one
screen, with the sections of the consent that lead up to it above its risks (the opening and
the sections, in their order, shared out so the screens are of about the same length), so one
tap on its large control ("I understand these risks - next") both acknowledges the group and
turns the page. `render_consent_part` draws one (large type, a text-size control, "Part 2 of
5", back, what matters more for this patient and why, a quiz question with its feedback);
`render_consent_sign` draws the signing page that follows. The pages work without JavaScript:
every control is a real form post (``Navigation``) or, for pages written to disk, a link
(``Navigation.links``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..consent.document import ConsentDocument
from ..consent.fields import NAMES, SUMMARY_SECTION
from ..consent.signing import signer_blocks
from ..definitions.quiz import Quiz, QuizQuestion
from ..definitions.ui_text import ui_locales, ui_text
from .html import ErrorLink, PageOptions, _environment, _page_context
from .signer_view import _block_view, _ticked

SECTION = "section"
"""Kind of a part holding sections only (a consent that lists no risks: all its sections)."""
RISKS = "risks"
"""Kind of a part holding one group of risks, with the sections read before it, acknowledged
(and left) with one control."""
QUESTION = "quiz"
"""Kind of a part asking one question of the understanding check."""
TEXT_SIZES = ("normal", "large", "xlarge")
"""The text sizes a patient can pick; the page's ``body`` gets the class ``tpi-text-<size>``."""
FEEDBACK = ("right", "wrong", "missed")
DEFAULT_OPTIONS = PageOptions()
"""Feedback after an answer: right; wrong on the first try (try again); wrong twice."""


@dataclass(frozen=True)
class ConsentPart:
    """One screen of the consent."""

    kind: str
    """`SECTION`, `RISKS` or `QUESTION`."""
    id: str
    """The risk group id or question id (``summary`` for a `SECTION` part)."""
    title: str
    """What the screen is called, in the document's language."""
    sections: tuple[str, ...] = ()
    """The sections shown on this screen, in order, above its risks (``summary``: the opening:
    facility, plan, medicines, who does it)."""


@dataclass(frozen=True)
class Feedback:
    """What the patient is told after answering a question of the understanding check."""

    kind: str
    """One of `FEEDBACK`."""
    question: QuizQuestion
    part_href: str
    """Where "read that part again" leads: the part the question is about."""


@dataclass(frozen=True)
class Navigation:
    """Where a part's controls go: form posts to a server, or links between files on disk."""

    action: str = ""
    """Form action of the part's buttons (``go=back|next``, ``choice=<id>``)."""
    size_action: str = ""
    """Form action of the text-size buttons (``size=<size>``); empty: the page script keeps
    the size (pages on disk)."""
    hidden: Mapping[str, str] = field(default_factory=dict)
    """Hidden inputs of every form (a CSRF token)."""
    links: bool = False
    """Links instead of form posts (pages written to disk)."""
    back_href: str = ""
    """The previous part: its file (with ``links``), or on the signing page its URL; empty on
    the first part."""
    next_href: str = ""
    """With ``links``: the next part's file."""
    choice_hrefs: Mapping[str, str] = field(default_factory=dict)
    """With ``links``: the file each answer of a question leads to."""


def consent_parts(document: ConsentDocument, quiz: Quiz | None = None) -> tuple[ConsentPart, ...]:
    """The screens of ``document``: one for each group of risks it lists, the opening and the
    sections shared out over them in order (`share_out`), then each question of ``quiz``
    (None: no understanding check). A consent that lists no risks is one screen of sections."""
    ui = _ui(document.locale)
    groups = [g for g in document.risk_groups if any(r.group == g.id for r in document.risks)]
    reading = [SUMMARY_SECTION, *(s.id for s in document.sections)]
    if groups:
        weights = [_words(document, sid) for sid in reading]
        loads = [
            len(g.title.split()) + sum(_risk_words(r) for r in document.risks if r.group == g.id)
            for g in groups
        ]
        runs = share_out(weights, loads)
        parts = [
            ConsentPart(RISKS, g.id, g.title, tuple(reading[i] for i in run))
            for g, run in zip(groups, runs, strict=True)
        ]
    else:
        title = ui["consent_pages.summary_title"]
        parts = [ConsentPart(SECTION, SUMMARY_SECTION, title, tuple(reading))]
    if quiz is not None:
        title = ui["consent_pages.quiz_title"]
        parts += [ConsentPart(QUESTION, q.id, title) for q in quiz.questions]
    return tuple(parts)


def share_out(weights: Sequence[int], loads: Sequence[int]) -> list[list[int]]:
    """Cut the items of ``weights`` (in order) into one run for each of ``loads`` (the weight
    a screen already carries), so the screens are of about the same weight: each screen takes
    the next item while that leaves it nearer its fair share. The first run holds at least the
    first item (the opening); a run may be empty.

    >>> share_out([10, 10, 10, 10], [0, 0])
    [[0, 1], [2, 3]]
    >>> share_out([5, 5], [100, 0])
    [[0], [1]]
    """
    runs: list[list[int]] = []
    i = 0
    for page, load in enumerate(loads):
        run: list[int] = []
        if page == len(loads) - 1:
            run = list(range(i, len(weights)))
        else:
            fair = (sum(weights[i:]) + sum(loads[page:])) / (len(loads) - page)
            while i < len(weights):
                if (run or page > 0) and load + weights[i] / 2 > fair:
                    break
                run.append(i)
                load += weights[i]
                i += 1
        runs.append(run)
    return runs


def _words(document: ConsentDocument, section: str) -> int:
    if section == SUMMARY_SECTION:
        facts = [document.intro, document.notice, document.sites_text]
        facts += [f"{m.name} {m.purpose}" for m in document.medicines]
        return 20 + sum(len(f.split()) for f in facts)
    found = document.section(section)
    return len(found.title.split()) + sum(len(p.split()) for p in found.paragraphs)


def _risk_words(risk: Any) -> int:
    return sum(len(str(t).split()) for t in (risk.name, risk.description, risk.what_to_do))


def part_of(parts: Sequence[ConsentPart], kind: str, ident: str) -> int:
    """The 1-based number of the part of ``kind`` with ``ident`` (``section``: the part that
    shows section ``ident``); `KeyError` when none is."""
    for n, part in enumerate(parts, start=1):
        if kind == SECTION and part.kind in (SECTION, RISKS) and ident in part.sections:
            return n
        if part.kind == kind and part.id == ident:
            return n
    raise KeyError(ident)


def quiz_part_target(parts: Sequence[ConsentPart], question: QuizQuestion) -> int:
    """The number of the part a question is about (that shows its section, else its group of
    risks)."""
    for kind in (SECTION, RISKS):
        try:
            return part_of(parts, kind, question.part)
        except KeyError:
            continue
    return 1  # the part is not in this document (a section the plan leaves out)


def quiz_part_anchor(parts: Sequence[ConsentPart], question: QuizQuestion) -> str:
    """Where on its part a question's section or group is (``#tpi-section-refusal``), or ``""``."""
    try:
        part_of(parts, SECTION, question.part)
        return f"#{SECTION_ANCHOR}{question.part}"
    except KeyError:
        pass
    try:
        part_of(parts, RISKS, question.part)
        return f"#{GROUP_ANCHOR}{question.part}"
    except KeyError:
        return ""


SECTION_ANCHOR = "tpi-section-"
"""The id of a section on its screen is this and the section's id."""
GROUP_ANCHOR = "tpi-group-"
"""The id of a group of risks on its screen is this and the group's id."""


def render_consent_part(
    document: ConsentDocument,
    parts: Sequence[ConsentPart],
    n: int,
    *,
    nav: Navigation,
    size: str = "normal",
    highlights: Mapping[str, Sequence[str]] | None = None,
    quiz: Quiz | None = None,
    acknowledged: bool = False,
    feedback: Feedback | None = None,
    options: PageOptions = DEFAULT_OPTIONS,
) -> str:
    """Part ``n`` (1-based) of ``parts`` as a full page.

    ``highlights`` maps a risk id to why it matters more for this patient
    (`tpi_forms.consent.highlights.patient_highlights`); ``acknowledged`` says the patient
    already acknowledged this part's risks; ``feedback`` is shown above the part.
    """
    part = parts[n - 1]
    context = _context(document, size, nav, options)
    context.update(
        {
            "part": part,
            "n": n,
            "total": len(parts),
            "page_sections": [
                (sid, None if sid == SUMMARY_SECTION else document.section(sid))
                for sid in part.sections
            ],
            "section_anchor": SECTION_ANCHOR,
            "group_anchor": GROUP_ANCHOR,
            "group_risks": [r for r in document.risks if r.group == part.id]
            if part.kind == RISKS
            else [],
            "highlights": {k: list(v) for k, v in (highlights or {}).items()},
            "question": quiz.question(part.id)
            if quiz is not None and part.kind == QUESTION
            else None,
            "acknowledged": acknowledged,
            "feedback": feedback,
            "logo": None
            if document.logo is None
            else {"src": document.logo.data_uri(), "alt": document.facility.name},
        }
    )
    return _environment(options.template_dirs).get_template("consent_part.html").render(context)


def render_consent_sign(
    document: ConsentDocument,
    *,
    nav: Navigation,
    roles: Sequence[str] | None = None,
    values: Mapping[str, object] | None = None,
    errors: Mapping[str, Sequence[str]] | None = None,
    size: str = "normal",
    feedback: Feedback | None = None,
    options: PageOptions = DEFAULT_OPTIONS,
    required_signers: Sequence[str] = (),
) -> str:
    """The signing page after the last part: agreeing to sign on the screen and the signature
    blocks of ``roles`` (and ``required_signers``, see `signer_blocks`); posts to
    ``nav.action`` with ``nav.hidden`` and the consent's hash."""
    values = values or {}
    errors = {k: list(v) for k, v in (errors or {}).items()}
    context = _context(document, size, nav, options)
    context.update(
        {
            "names": NAMES,
            "blocks": [
                _block_view(b, values, errors)
                for b in signer_blocks(document, roles, required_signers)
            ],
            "esign_checked": _ticked(values, NAMES.esign_consent),
            "errors": errors,
            "error_links": [ErrorLink(k, m) for k, ms in errors.items() for m in ms],
            "feedback": feedback,
        }
    )
    return _environment(options.template_dirs).get_template("consent_sign.html").render(context)


def _ui(locale: str) -> Mapping[str, str]:
    return ui_text(locale if locale in ui_locales() else "en")


def _context(
    document: ConsentDocument, size: str, nav: Navigation, options: PageOptions
) -> dict[str, Any]:
    context = _page_context(document.locale, options)
    context.update(
        {
            "doc": document,
            "ui": _ui(document.locale),
            "locale": document.locale,
            "nav": nav,
            "size": size if size in TEXT_SIZES else "normal",
            "sizes": TEXT_SIZES,
        }
    )
    return context


def write_paged_consent_demo(out_dir: str | Path, *, today: dt.date | None = None) -> list[Path]:
    """Write the paged consent with its understanding check, in each language, as pages that
    work from disk: ``consent-paged-1.en.html`` … and ``consent-paged-sign.en.html``.

    Back, next and every answer are links between the files; a wrong answer opens the same
    question with its feedback (``-retry``), an answer after it the next part with its
    feedback (``-right`` / ``-missed``). The text size is kept by the page script. The assets
    are those `tpi_forms.web.html.write_static_demo` copies into ``static/``. Returns the pages.
    """
    from ..consent.document import build_consent
    from ..consent.highlights import patient_highlights
    from ..definitions.clinic import sample_clinic
    from ..definitions.quiz import load_quiz
    from ..screening.procedure import PlannedProcedure
    from ..screening.scenarios import example_answers
    from .html import copy_static

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    copy_static(out)
    quiz = load_quiz()
    answers = {**example_answers("clear"), "takes_blood_thinner": True}
    plan = PlannedProcedure(sites=("neck", "upper_back"), corticosteroid=False)
    written: list[Path] = []
    for loc in ui_locales():
        document = build_consent(plan, sample_clinic(), loc, answers=answers)
        parts = consent_parts(document, quiz)
        found = patient_highlights(document, answers, today or dt.date(2026, 3, 2))
        links = {x: f"consent-paged-1.{x}.html" for x in ui_locales()}
        options = PageOptions(locale_links=links)

        def name(n: int, variant: str = "", loc: str = loc, parts: Any = parts) -> str:
            tail = f"-{variant}" if variant else ""
            if n > len(parts):
                return f"consent-paged-sign{tail}.{loc}.html"
            return f"consent-paged-{n}{tail}.{loc}.html"

        def page(
            n: int,
            nav: Navigation,
            feedback: Feedback | None,
            document: ConsentDocument = document,
            parts: Any = parts,
            found: Any = found,
            options: PageOptions = options,
        ) -> str:
            return render_consent_part(
                document, parts, n, nav=nav, highlights=found, quiz=quiz,
                feedback=feedback, options=options,
            )  # fmt: skip

        for n, part in enumerate(parts, start=1):
            back = name(n - 1) if n > 1 else ""
            variants: list[tuple[str, Feedback | None]] = [("", None)]
            before = parts[n - 2] if n > 1 else None
            if before is not None and before.kind == QUESTION:
                question = quiz.question(before.id)
                target = name(quiz_part_target(parts, question)) + quiz_part_anchor(parts, question)
                variants += [(k, Feedback(k, question, target)) for k in ("right", "missed")]
            if part.kind == QUESTION:
                question = quiz.question(part.id)
                target = name(quiz_part_target(parts, question)) + quiz_part_anchor(parts, question)
                first = {c.id: name(n + 1, "right") if c.id == question.answer else name(n, "retry")
                         for c in question.choices}  # fmt: skip
                second = {c.id: name(n + 1, "right" if c.id == question.answer else "missed")
                          for c in question.choices}  # fmt: skip
                retry = Feedback("wrong", question, target)
                nav = Navigation(links=True, back_href=back, choice_hrefs=first)
                written.append(_write(out / name(n), page(n, nav, None)))
                nav = Navigation(links=True, back_href=back, choice_hrefs=second)
                written.append(_write(out / name(n, "retry"), page(n, nav, retry)))
                for kind, feedback in variants[1:]:
                    nav = Navigation(links=True, back_href=back, choice_hrefs=first)
                    written.append(_write(out / name(n, kind), page(n, nav, feedback)))
                continue
            for kind, feedback in variants:
                nav = Navigation(links=True, back_href=back, next_href=name(n + 1))
                written.append(_write(out / name(n, kind), page(n, nav, feedback)))
        last = parts[-1]
        sign_variants: list[tuple[str, Feedback | None]] = [("", None)]
        if last.kind == QUESTION:
            question = quiz.question(last.id)
            target = name(quiz_part_target(parts, question)) + quiz_part_anchor(parts, question)
            sign_variants += [(k, Feedback(k, question, target)) for k in ("right", "missed")]
        for kind, feedback in sign_variants:
            file = f"consent-paged-sign{'-' + kind if kind else ''}.{loc}.html"
            nav = Navigation(links=True, back_href=name(len(parts)))
            html = render_consent_sign(document, nav=nav, feedback=feedback, options=options)
            written.append(_write(out / file, html))
    return written


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


__all__ = [
    "ConsentPart",
    "Feedback",
    "Navigation",
    "consent_parts",
    "part_of",
    "quiz_part_anchor",
    "quiz_part_target",
    "share_out",
    "render_consent_part",
    "render_consent_sign",
    "write_paged_consent_demo",
]
