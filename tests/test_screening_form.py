"""`ScreeningForm` names what every class from `build_form_class` has, Flask-WTF based or not."""

from __future__ import annotations

import datetime as dt
import typing

import pytest
from flask import Flask
from flask_wtf import FlaskForm  # type: ignore[import-untyped]
from werkzeug.datastructures import MultiDict

import tpi_forms
from tpi_forms import ScreeningForm, build_form_class, example_answers
from tpi_forms.web.forms import to_formdata

TODAY = dt.date(2026, 3, 2)


def protocol_members() -> set[str]:
    """The members the protocol declares (attributes, properties, methods)."""
    declared = set(ScreeningForm.__annotations__)
    declared |= {
        name
        for name, value in vars(ScreeningForm).items()
        if callable(value) or isinstance(value, property)
    }
    return declared - {"__subclasshook__"}  # added by Protocol itself


def assert_has_members(form: ScreeningForm) -> None:
    members = protocol_members() - {"__init__", "__getattr__"}
    assert {"questionnaire", "as_of", "sections", "answers", "errors", "_fields"} <= members
    assert sorted(name for name in members if not hasattr(form, name)) == []


def test_build_form_class_is_typed_as_making_screening_forms() -> None:
    hints = typing.get_type_hints(build_form_class)
    assert hints["return"] == type[ScreeningForm]
    assert "ScreeningForm" in tpi_forms.__all__


def test_a_plain_form_has_every_member() -> None:
    form_class: type[ScreeningForm] = build_form_class(locale="es")
    form = form_class(MultiDict(to_formdata(example_answers("clear"))))
    form.as_of = TODAY
    assert_has_members(form)
    assert form.validate(), form.errors
    assert form.answers()["pain_score"] == example_answers("clear")["pain_score"]
    assert form.pain_score is form["pain_score"]  # fields by attribute and by name
    assert form.locale == "es" and form.questionnaire is tpi_forms.load_questionnaire()


def test_a_flask_wtf_form_has_every_member() -> None:
    app = Flask(__name__)
    app.config.update(SECRET_KEY="test only", WTF_CSRF_ENABLED=False)
    with app.test_request_context(
        method="POST", data=MultiDict(to_formdata(example_answers("review")))
    ):
        form = build_form_class(base=FlaskForm)()
        form.as_of = TODAY
        assert_has_members(form)
        assert form.validate()


def test_the_kiosk_screening_form_has_every_member() -> None:
    from tpi_forms.kiosk import flow

    app = Flask(__name__)
    app.config.update(SECRET_KEY="test only")
    with app.test_request_context():
        form = flow.screening_form("en", TODAY, prefill={"name": "Ana Example"})
    assert_has_members(form)
    assert form.as_of == TODAY and "submission_token" in form


def test_an_unknown_field_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError):
        build_form_class()().no_such_question  # noqa: B018
