"""Shared helpers for the screening tests: a fixed day, valid answers and hypothesis strategies."""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import strategies as st

from tpi_forms import example_answers, load_questionnaire

TODAY = dt.date(2026, 11, 24)
"""The day of screening in every test (dates in answers are relative to it)."""

Q = load_questionnaire()


def answers(scenario: str = "clear", **changes: Any) -> dict[str, Any]:
    """Example answers with ``changes`` applied; a change to None removes the key."""
    result = example_answers(scenario)
    for key, value in changes.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = value
    return result


def days_ago(days: int) -> str:
    return (TODAY - dt.timedelta(days=days)).isoformat()


def _subset(choices: tuple[str, ...]) -> st.SearchStrategy[list[str]]:
    return st.lists(st.sampled_from(choices), min_size=1, unique=True)


_names = st.text(
    alphabet=st.characters(codec="utf-8", categories=("L", "Zs")), min_size=1, max_size=60
).filter(lambda s: bool(s.strip()))
_past = st.dates(min_value=dt.date(1907, 1, 1), max_value=TODAY).map(dt.date.isoformat)
_score = st.integers(0, 10)


@st.composite
def valid_answers(draw: st.DrawFn) -> dict[str, Any]:
    """Random answers that pass validation on `TODAY`."""
    choice = Q.question
    a: dict[str, Any] = {
        "patient_name": draw(_names),
        "date_of_birth": draw(_past),
        "pain_sites": draw(_subset(choice("pain_sites").choice_ids)),
        "pain_score": draw(_score),
        "pain_duration": draw(st.sampled_from(choice("pain_duration").choice_ids)),
        "takes_blood_thinner": draw(st.booleans()),
        "could_be_pregnant": draw(st.sampled_from(choice("could_be_pregnant").choice_ids)),
        "form_filled_by": draw(st.sampled_from(choice("form_filled_by").choice_ids)),
    }
    for name in (
        "needs_interpreter",
        "muscle_injury_at_site",
        "bruises_easily",
        "antibiotics_now",
        "thin_build",
        "implant_near_site",
        "neuromuscular_disease",
        "bleeding_disorder",
        "fever_or_illness_today",
        "infection_last_4_weeks",
        "skin_problem_at_site",
        "weakened_immune_system",
        "diabetes",
        "faints_with_needles",
        "lung_disease",
        "keloid_scars",
    ):
        a[name] = draw(st.booleans())
    treatments = tuple(c for c in choice("prior_treatments").choice_ids if c != "none")
    a["prior_treatments"] = draw(st.just(["none"]) | _subset(treatments))
    if "trigger_point_injection" in a["prior_treatments"]:
        a["prior_tpi_problem"] = draw(st.booleans())
        a["last_injection_date"] = draw(_past)
        a["prior_tpi_same_site"] = draw(st.booleans())
        if a["prior_tpi_same_site"]:
            a["prior_tpi_relief"] = draw(st.sampled_from(choice("prior_tpi_relief").choice_ids))
            a["prior_tpi_relief_duration"] = draw(
                st.sampled_from(choice("prior_tpi_relief_duration").choice_ids)
            )
    if a["antibiotics_now"]:
        a["aminoglycoside_now"] = draw(st.booleans())
    if "head" in a["pain_sites"]:
        a["skull_defect_or_surgery"] = draw(st.booleans())
    conditions = tuple(c for c in choice("toxicity_conditions").choice_ids if c != "none")
    a["toxicity_conditions"] = draw(st.just(["none"]) | _subset(conditions))
    if a["needs_interpreter"] and draw(st.booleans()):
        a["interpreter_language"] = draw(_names)
    if draw(st.booleans()):
        a["weight_lb"] = draw(st.integers(50, 700))
    if a["takes_blood_thinner"]:
        a["blood_thinner_names"] = draw(_names)
        if draw(st.booleans()):
            a["blood_thinner_last_dose"] = draw(_past)
        if draw(st.booleans()):
            a["blood_thinner_last_dose_time"] = draw(st.sampled_from(["8 am", "20:00", "noon"]))
    allergy_ids = tuple(c for c in choice("allergies").choice_ids if c != "none")
    a["allergies"] = draw(st.just(["none"]) | _subset(allergy_ids))
    if "other" in a["allergies"]:
        a["allergy_details"] = draw(_names)
    for optional in ("peg_pain", "peg_enjoyment", "peg_activity"):
        if draw(st.booleans()):
            a[optional] = draw(_score)
    for optional in ("fibromyalgia", "has_driver"):
        if draw(st.booleans()):
            a[optional] = draw(st.booleans())
    if draw(st.booleans()):
        a["current_medicines"] = draw(_names)
    return a


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)
"""Any JSON value."""

question_ids = st.sampled_from(list(Q.questions))

random_answer_objects = st.dictionaries(
    question_ids | st.text(max_size=10),
    json_values
    | st.sampled_from(["yes", "no", "none", "2020-01-01", "2999-12-31", "", " "])
    | st.lists(st.sampled_from(["none", "neck", "other", "local_anesthetic", "x"]), max_size=4),
    max_size=12,
)
"""Answer-like objects, mostly invalid."""
