"""The understanding check (tpi_quiz.toml) and the patient highlights (tpi_highlights.toml):
loaded and checked like the other definitions, applied to a consent, drawn part by part."""

from __future__ import annotations

import dataclasses
import datetime as dt
import shutil
from pathlib import Path

import pytest

from tpi_forms._resources import definition_folder
from tpi_forms.consent.document import build_consent
from tpi_forms.consent.highlights import patient_highlights
from tpi_forms.definitions.highlights import load_highlights
from tpi_forms.definitions.quiz import load_quiz
from tpi_forms.errors import DefinitionError
from tpi_forms.screening.procedure import PlannedProcedure
from tpi_forms.web.consent_parts import (
    Navigation,
    consent_parts,
    part_of,
    quiz_part_anchor,
    quiz_part_target,
    render_consent_part,
    share_out,
)

TODAY = dt.date(2026, 3, 2)


def copy_of(tmp_path: Path, stem: str) -> Path:
    for name in (f"{stem}.toml", f"{stem}.en.toml", f"{stem}.es.toml"):
        shutil.copyfile(str(definition_folder() / name), tmp_path / name)
    return tmp_path / f"{stem}.toml"


def test_shipped_quiz_is_tied_to_the_consent_and_complete_in_both_languages() -> None:
    quiz = load_quiz()
    assert quiz.consent == "tpi_consent" and quiz.locales == ("en", "es")
    assert [q.id for q in quiz.questions] == ["say_no", "chest_risk", "short_of_breath"]
    breath = quiz.question("short_of_breath")
    assert breath.choice(breath.answer).label.get("en").startswith("Call 911")
    assert "emergencias" in breath.choice(breath.answer).label.get("es")
    assert quiz.question("chest_risk").choice("collapsed_lung").label.get("es") == (
        "Un pulmón colapsado"
    )
    assert all(q.topic.get("es") and q.explain.get("es") for q in quiz.questions)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('answer = "emergency"', 'answer = "hope"', "answer 'hope' is not one of its choices"),
        ('part = "aftercare"', 'part = "nowhere"', "'nowhere' is no section or risk group"),
        ('consent = "tpi_consent"', 'consent = "other"', "names consent 'other'"),
        (
            'choices = ["wait", "emergency", "next_visit"]',
            'choices = ["emergency"]',
            "needs at least two choices",
        ),
    ],
)
def test_a_broken_quiz_is_refused_in_one_line(
    tmp_path: Path, old: str, new: str, message: str
) -> None:
    path = copy_of(tmp_path, "tpi_quiz")
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    with pytest.raises(DefinitionError, match=message) as caught:
        load_quiz(path)
    assert str(caught.value).startswith("tpi_quiz.toml: ")
    assert "\n" not in str(caught.value)


def test_a_quiz_word_missing_in_spanish_is_named(tmp_path: Path) -> None:
    path = copy_of(tmp_path, "tpi_quiz")
    es = tmp_path / "tpi_quiz.es.toml"
    es.write_text(es.read_text().replace('topic = "qué hacer si le falta el aire"\n', ""))
    with pytest.raises(DefinitionError, match=r"questions\.short_of_breath\.topic: missing"):
        load_quiz(path)


def test_highlights_from_answers_and_plan_each_side_of_their_condition() -> None:
    steroid = build_consent(PlannedProcedure(sites=("lower_back",), corticosteroid=True))
    plain = build_consent(PlannedProcedure(sites=("lower_back",)))
    assert patient_highlights(plain, {}, TODAY) == {}
    thinner = patient_highlights(plain, {"takes_blood_thinner": True}, TODAY)
    assert thinner == {
        "bleeding": ("You take a blood thinner, so bleeding or a bruise is more likely.",)
    }
    assert patient_highlights(plain, {"takes_blood_thinner": False}, TODAY) == {}
    assert "blood_sugar" in patient_highlights(steroid, {"diabetes": True}, TODAY)
    assert "blood_sugar" not in patient_highlights(steroid, {"diabetes": False}, TODAY)
    assert patient_highlights(plain, {"diabetes": True}, TODAY) == {}  # no steroid, no risk
    neck = build_consent(PlannedProcedure(sites=("neck",)), locale="es")
    own, why = patient_highlights(neck, {}, TODAY)["pneumothorax"]
    assert own == neck.risk("pneumothorax").highlight  # the consent marks the neck itself now
    assert why.startswith("Su plan tiene inyecciones en el cuello")
    chest = build_consent(PlannedProcedure(sites=("chest_wall",)))
    reasons = patient_highlights(chest, {"lung_disease": True}, TODAY)["pneumothorax"]
    assert reasons[0] == chest.risk("pneumothorax").highlight and len(reasons) == 2


def test_highlights_leave_the_signed_document_alone() -> None:
    plan = PlannedProcedure(sites=("neck", "upper_back"))
    before = build_consent(plan).content_hash
    patient_highlights(build_consent(plan), {"takes_blood_thinner": True}, TODAY)
    assert build_consent(plan).content_hash == before


def test_a_highlight_on_an_unknown_risk_is_refused(tmp_path: Path) -> None:
    path = copy_of(tmp_path, "tpi_highlights")
    path.write_text(path.read_text().replace('risk = "bleeding"', 'risk = "gills"', 1))
    with pytest.raises(DefinitionError, match="'gills' is no risk of consent 'tpi_consent'"):
        load_highlights(path)


def test_a_highlight_on_an_unknown_question_is_refused(tmp_path: Path) -> None:
    path = copy_of(tmp_path, "tpi_highlights")
    text = path.read_text().replace('question = "takes_blood_thinner"', 'question = "nope"', 1)
    path.write_text(text)
    with pytest.raises(DefinitionError, match="nope"):
        load_highlights(path)


def test_parts_a_group_of_risks_a_screen_with_the_sections_before_it_then_questions() -> None:
    doc = build_consent(PlannedProcedure(sites=("neck",), corticosteroid=True))
    quiz = load_quiz()
    parts = consent_parts(doc, quiz)
    kinds = [p.kind for p in parts]
    assert kinds == ["risks"] * len(doc.risk_groups) + ["quiz"] * 3
    assert [p.id for p in parts[:3]] == [g.id for g in doc.risk_groups]
    shown = [s for p in parts for s in p.sections]
    assert shown == ["summary", *(s.id for s in doc.sections)]  # each once, in order
    assert all(p.sections for p in parts[:3])  # sections shared out, not all on one screen
    assert len(consent_parts(doc, None)) == len(parts) - 3
    breath = quiz.question("short_of_breath")
    assert "aftercare" in parts[quiz_part_target(parts, breath) - 1].sections
    assert quiz_part_anchor(parts, breath) == "#tpi-section-aftercare"
    assert quiz_part_anchor(parts, quiz.question("chest_risk")) == "#tpi-group-serious"
    assert part_of(parts, "section", "steroid") == 1 and part_of(parts, "risks", "steroid") == 3


def test_share_out_keeps_the_order_and_evens_the_screens() -> None:
    assert share_out([10, 10, 10, 10], [0, 0]) == [[0, 1], [2, 3]]
    assert share_out([5, 5, 5], [100, 0]) == [[0], [1, 2]]  # the opening always on the first
    assert share_out([5], [0, 0, 0]) == [[0], [], []]
    assert share_out([1, 1, 40, 1], [0, 0]) == [[0, 1], [2, 3]]


def test_a_consent_without_risks_is_one_screen_of_sections() -> None:
    doc = build_consent(PlannedProcedure(sites=("neck",)))
    bare = dataclasses.replace(doc, risks=())
    (part,) = consent_parts(bare, None)
    assert part.kind == "section" and part.sections[0] == "summary"
    html = render_consent_part(bare, (part,), 1, nav=Navigation(action="/p"))
    assert 'name="go" value="next"' in html and 'value="ack"' not in html


def test_a_group_of_risks_page_names_why_a_risk_matters_more() -> None:
    doc = build_consent(PlannedProcedure(sites=("neck",)))
    parts = consent_parts(doc, load_quiz())
    n = part_of(parts, "risks", "minor")
    found = patient_highlights(doc, {"takes_blood_thinner": True}, TODAY)
    html = render_consent_part(doc, parts, n, nav=Navigation(action="/p"), highlights=found)
    assert f"Part {n} of {len(parts)}" in html
    assert 'data-tpi-risk="bleeding"' in html and "You take a blood thinner" in html
    assert html.count('name="go" value="ack"') == 1  # one control for the whole group
    assert html.count("data-tpi-part-next") == 1 and 'value="next"' not in html  # and on
    assert 'type="checkbox"' not in html
    assert "tpi-text-normal" in html
    large = render_consent_part(
        doc, parts, 1, nav=Navigation(links=True, next_href="2.html"), size="xlarge"
    )
    assert "tpi-text-xlarge" in large and 'href="2.html" data-tpi-part-next' in large
    assert "data-tpi-text-size-local" in large  # on disk the page script keeps the size


def test_demo_writes_the_paged_consent_with_the_quiz(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tpi_forms.cli import main

    assert main(["demo", "--out", str(tmp_path)]) == 0
    printed = capsys.readouterr().out.splitlines()
    for loc in ("en", "es"):
        first = tmp_path / f"consent-paged-1.{loc}.html"
        assert str(first) in printed
        assert str(tmp_path / f"consent-paged-sign.{loc}.html") in printed
        html = first.read_text()
        assert 'href="static/consent-pages.css"' in html and "data-tpi-part-next" in html
        assert 'href="consent-paged-2.' + loc + '.html"' in html
    quiz = (tmp_path / "consent-paged-3.es.html").read_text()
    assert "¿Puede decir que no a la inyección" in quiz
    assert 'href="consent-paged-3-retry.es.html"' in quiz  # a wrong answer: a second try
    assert (tmp_path / "static" / "consent-pages.js").is_file()
