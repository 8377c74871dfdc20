"""The page script's condition evaluator gives the same result as tpi_forms.definitions.conditions.evaluate."""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

import pytest
from playwright.sync_api import Browser

from tpi_forms.definitions.conditions import evaluate, to_data
from tpi_forms.definitions.questionnaire import load_questionnaire
from tpi_forms.screening.scenarios import SCENARIOS, example_answers

from .harness import TABLET, TODAY, Server, open_session

pytestmark = pytest.mark.browser


def answer_sets() -> list[dict[str, Any]]:
    sets = [example_answers(name) for name in SCENARIOS]
    varied = copy.deepcopy(sets[0])
    varied.update(
        {
            "pain_sites": ["chest_wall", "other"],
            "pain_score": 10,
            "allergies": ["other", "latex"],
            "could_be_pregnant": "unsure",
            "prior_treatments": ["trigger_point_injection"],
            "last_injection_date": (TODAY - dt.timedelta(days=10)).isoformat(),
            "diabetes": True,
        }
    )
    sparse = {"pain_score": 0, "takes_blood_thinner": False}
    return [*sets, varied, sparse, {}]


PLANS = [
    {"sites": ["neck"], "local_anesthetic": "lidocaine", "corticosteroid": False},
    {
        "sites": ["chest_wall", "upper_back"],
        "local_anesthetic": "bupivacaine",
        "corticosteroid": True,
    },
]


def test_javascript_mirror_agrees_with_python(browser: Browser, server: Server) -> None:
    q = load_questionnaire()
    conditions = [r.when for r in q.rules] + [
        question.enable_when for question in q.questions.values() if question.enable_when
    ]
    cases = []
    for condition in conditions:
        for answers in answer_sets():
            for plan in PLANS:
                expected = evaluate(condition, answers, plan, TODAY)
                cases.append(([to_data(condition), answers, plan], expected))
    assert {expected for _, expected in cases} == {True, False}
    session = open_session(browser, server, TABLET)
    page = session.page
    page.goto(f"{server.base_url}/screening")
    got = page.evaluate(
        """([cases, today]) => cases.map(([c, a, p]) =>
            window.tpiForms.evaluate(c, a, p, new Date(today + 'T12:00:00')))""",
        [[case for case, _ in cases], TODAY.isoformat()],
    )
    mismatches = [case for (case, expected), js in zip(cases, got, strict=True) if js != expected]
    assert mismatches == []
    session.check_clean()
    session.context.close()


def test_touch_targets_are_at_least_48_css_pixels(browser: Browser, server: Server) -> None:
    session = open_session(browser, server, TABLET)
    page = session.page
    for path in ("/screening", "/consent"):
        page.goto(f"{server.base_url}{path}")
        page.evaluate("document.querySelectorAll('[hidden]').forEach(e => e.hidden = false)")
        small = page.evaluate(
            """() => [...document.querySelectorAll(
                    'button, a, .tpi-option, .tpi-check, input.tpi-input, textarea')]
                .map(e => [e.outerHTML.slice(0, 80), e.getBoundingClientRect()])
                .filter(([, r]) => r.height < 48 || r.width < 48)
                .map(([html, r]) => `${html} ${r.width}x${r.height}`)"""
        )
        assert small == [], f"small touch targets on {path}: {small}"
    session.context.close()
