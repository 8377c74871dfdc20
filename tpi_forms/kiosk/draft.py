"""A draft of the screening answers in the tablet's server session, so a reload loses nothing.

The screening page's script posts the form as the patient goes (``/kiosk/screening/draft``);
the next GET of the page is filled from the draft. A draft is checked loosely — only question
names, a few bounded strings each — because it is never an answer: the screening POST is
validated in full. It lives only in the server-side session, tied to its check-in, and goes
when the screening is sent or the session is wiped; nothing is kept in the browser.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from werkzeug.datastructures import MultiDict

from ..definitions.questionnaire import Questionnaire, load_questionnaire

SESSION_KEY = "screening_draft"
"""Where the session keeps the draft."""
MAX_BYTES = 64 * 1024
"""Largest draft request accepted, in bytes (the whole form filled in is a few kilobytes)."""
STEP_FIELD = "draft_step"
"""The posted field naming the step the patient is on (1-based)."""
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class Draft:
    """The answers in progress of one check-in, as the browser would post them."""

    checkin_id: str
    """The check-in the draft belongs to; a draft of any other is ignored."""
    pairs: tuple[tuple[str, str], ...]
    """Posted (question id, value) pairs, in the order given."""
    step: int | None
    """The step the patient was on (1-based), or None."""

    def to_session(self) -> dict[str, Any]:
        """JSON-native data for the session."""
        return {
            "checkin": self.checkin_id,
            "pairs": [list(p) for p in self.pairs],
            "step": self.step,
        }

    def formdata(self) -> MultiDict[str, str]:
        """The draft as a form's ``formdata``."""
        return MultiDict(list(self.pairs))


def read_draft(posted: Mapping[str, Any], questionnaire: Questionnaire, checkin_id: str) -> Draft:
    """The draft in a posted form: question fields only, each value a bounded string.

    Dropped without a word: names that are no question (tokens included), values too long
    for their question or holding control characters, repeats beyond a question's choices.
    """
    getlist = getattr(posted, "getlist", None)
    pairs: list[tuple[str, str]] = []
    for question in questionnaire.questions.values():
        values = getlist(question.id) if getlist else [posted.get(question.id)]
        most = max(1, len(question.choices)) if question.kind.multiple else 1
        kept = [
            v
            for v in values
            if isinstance(v, str) and len(v) <= question.max_length and not _CONTROL.search(v)
        ]
        pairs.extend((question.id, v) for v in kept[:most])
    return Draft(checkin_id, tuple(pairs), _step(posted.get(STEP_FIELD), questionnaire))


def _step(text: Any, questionnaire: Questionnaire) -> int | None:
    if not isinstance(text, str) or not text.isdigit() or len(text) > 3:
        return None
    step = int(text)
    return step if 1 <= step <= len(questionnaire.sections) else None


def stored_draft(data: Any, checkin_id: str) -> Draft | None:
    """The session's draft for ``checkin_id``, or None (none kept, another check-in's, damaged)."""
    if not isinstance(data, Mapping) or data.get("checkin") != checkin_id:
        return None
    pairs = data.get("pairs")
    if not isinstance(pairs, list):
        return None
    kept = tuple(
        (p[0], p[1])
        for p in pairs
        if isinstance(p, list) and len(p) == 2 and all(isinstance(x, str) for x in p)
    )
    step = data.get("step")
    return Draft(checkin_id, kept, step if isinstance(step, int) else None)


def from_answers(answers: Mapping[str, Any], checkin_id: str, args: Mapping[str, Any]) -> Draft:
    """Stored answers as a draft opened on the step ``args["step"]`` names (a "change" link
    of the certification page), so the patient changes what they gave, not a blank form."""
    from ..web.forms import to_formdata

    q = load_questionnaire()
    return Draft(checkin_id, tuple(to_formdata(answers, q)), _step(args.get("step"), q))
