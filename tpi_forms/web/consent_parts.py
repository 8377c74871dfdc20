"""The consent read part by part: one section (or one group of risks) a screen, then the
understanding check (teach-back), then the signing page.

`consent_parts` cuts a `ConsentDocument` into `ConsentPart` s; `render_consent_part` draws one
(large type, a text-size control, "Part 2 of 9", back and next, the risks of a group with one
large "I have read about these risks" control, what matters more for this patient and why, a
quiz question with its feedback); `render_consent_sign` draws the signing page that follows.
The pages work without JavaScript: every control is a real form post (``Navigation``) or, for
pages written to disk, a link (``Navigation.links``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..consent.document import ConsentDocument
from ..consent.fields import NAMES, SUMMARY_SECTION
from ..consent.signing import signer_blocks
from ..definitions.quiz import Quiz, QuizQuestion
from ..definitions.ui_text import ui_locales, ui_text
from .html import ErrorLink, PageOptions, _block_view, _environment, _page_context, _ticked

SUMMARY = "summary"
"""Kind of the opening part (facility, plan, medicines, who does it)."""
SECTION = "section"
"""Kind of a part holding one section of the consent's body."""
RISKS = "risks"
"""Kind of a part holding one group of risks, acknowledged with one control."""
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
    """`SUMMARY`, `SECTION`, `RISKS` or `QUESTION`."""
    id: str
    """The section id, risk group id or question id (``summary`` for the opening part)."""
    title: str
    """What the screen is called, in the document's language."""


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
    """The screens of ``document``: the opening, each section, each group of risks it lists,
    then each question of ``quiz`` (None: no understanding check)."""
    ui = _ui(document.locale)
    parts = [ConsentPart(SUMMARY, SUMMARY_SECTION, ui["consent_pages.summary_title"])]
    parts += [ConsentPart(SECTION, s.id, s.title) for s in document.sections]
    parts += [
        ConsentPart(RISKS, g.id, g.title)
        for g in document.risk_groups
        if any(r.group == g.id for r in document.risks)
    ]
    if quiz is not None:
        title = ui["consent_pages.quiz_title"]
        parts += [ConsentPart(QUESTION, q.id, title) for q in quiz.questions]
    return tuple(parts)


def part_of(parts: Sequence[ConsentPart], kind: str, ident: str) -> int:
    """The 1-based number of the part of ``kind`` with ``ident``; `KeyError` when none is."""
    for n, part in enumerate(parts, start=1):
        if part.kind == kind and part.id == ident:
            return n
    raise KeyError(ident)


def quiz_part_target(parts: Sequence[ConsentPart], question: QuizQuestion) -> int:
    """The number of the part a question is about (a section, else a group of risks)."""
    for kind in (SECTION, RISKS):
        try:
            return part_of(parts, kind, question.part)
        except KeyError:
            continue
    return 1  # the part is not in this document (a section the plan leaves out)


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
            "section": document.section(part.id) if part.kind == SECTION else None,
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
    values: Mapping[str, Any] | None = None,
    errors: Mapping[str, Sequence[str]] | None = None,
    size: str = "normal",
    feedback: Feedback | None = None,
    options: PageOptions = DEFAULT_OPTIONS,
) -> str:
    """The signing page after the last part: agreeing to sign on the screen and the signature
    blocks of ``roles``; posts to ``nav.action`` with ``nav.hidden`` and the consent's hash."""
    values = values or {}
    errors = {k: list(v) for k, v in (errors or {}).items()}
    context = _context(document, size, nav, options)
    context.update(
        {
            "names": NAMES,
            "blocks": [_block_view(b, values, errors) for b in signer_blocks(document, roles)],
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


__all__ = [
    "ConsentPart",
    "Feedback",
    "Navigation",
    "consent_parts",
    "part_of",
    "quiz_part_target",
    "render_consent_part",
    "render_consent_sign",
]
