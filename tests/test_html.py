"""HTML rendering: escaping, CSP safety, CSRF, accessibility markup, overrides, static demo."""

from __future__ import annotations

import datetime as dt
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask_wtf import FlaskForm  # type: ignore[import-untyped]
from werkzeug.datastructures import MultiDict

from tpi_forms.consent.document import build_consent
from tpi_forms.definitions.clinic import sample_clinic
from tpi_forms.definitions.ui_text import UI_KEYS, load_ui_texts, ui_text
from tpi_forms.errors import DefinitionError, UnknownLocaleError
from tpi_forms.screening.procedure import PlannedProcedure
from tpi_forms.screening.scenarios import example_answers
from tpi_forms.web.forms import build_form_class, to_formdata
from tpi_forms.web.html import (
    STATIC_FILES,
    PageOptions,
    render_consent_page,
    render_form_html,
    render_kiosk_page,
    static_files,
    write_static_demo,
)

HOSTILE = "<img src=x onerror=alert(1)> {{7*7}} \"quoted' </textarea><script>alert(2)</script>"
TODAY = dt.date(2026, 3, 2)


def bound_form(answers: dict[str, Any], locale: str = "en") -> Any:
    form = build_form_class(locale=locale)(MultiDict(to_formdata(answers)))
    form.as_of = TODAY
    return form


class Tags(HTMLParser):
    """Every start tag with its attributes, and the text of inline scripts."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.inline_scripts: list[str] = []
        self._in_script = False
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script" and "src" not in dict(attrs)

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.inline_scripts.append(data)

    def ids(self) -> list[str]:
        return [str(a["id"]) for _, a in self.tags if a.get("id")]


def assert_csp_safe(html: str) -> Tags:
    tags = Tags(html)
    for tag, attrs in tags.tags:
        assert "style" not in attrs, f"inline style on <{tag}>"
        assert not [a for a in attrs if a.startswith("on")], f"inline handler on <{tag}>"
        if tag == "script":
            assert attrs.get("src"), "inline script"
        if tag in ("link", "script", "img") and (attrs.get("src") or attrs.get("href")):
            url = attrs.get("src") or attrs.get("href") or ""
            assert not re.match(r"(https?:)?//", url), f"external request: {url}"
    assert "<style" not in html
    assert tags.inline_scripts == []
    ids = tags.ids()
    assert len(ids) == len(set(ids)), "duplicate ids"
    return tags


def all_pages() -> dict[str, str]:
    answers = example_answers("review")
    document = build_consent(PlannedProcedure(sites=("neck",)), sample_clinic(), "en")
    return {
        "fragment": render_form_html(bound_form(answers), action="/s", static_url="/static/"),
        "kiosk": render_kiosk_page(
            bound_form({}, "es"), action="/s", options=PageOptions(locale_links={"en": "/en"})
        ),
        "consent": render_consent_page(document, action="/c"),
    }


@pytest.mark.parametrize("name", ["fragment", "kiosk", "consent"])
def test_pages_are_csp_safe(name: str) -> None:
    assert_csp_safe(all_pages()[name])


def test_hostile_patient_text_is_escaped() -> None:
    answers = example_answers("review")
    answers["patient_name"] = HOSTILE
    answers["current_medicines"] = HOSTILE
    html = render_form_html(bound_form(answers), action="/s?a=1&b=<x>")
    assert_csp_safe(html)
    assert "<img src=x" not in html and "<script>alert" not in html
    assert "&lt;img src=x onerror=alert(1)&gt; {{7*7}}" in html
    assert "49" not in html  # no template evaluation of patient text
    assert 'action="/s?a=1&amp;b=&lt;x&gt;"' in html
    document = build_consent(PlannedProcedure(sites=("neck",)), sample_clinic(), "en")
    values = {"patient-printed_name": HOSTILE, "patient-strokes": HOSTILE, "patient-png": HOSTILE}
    page = render_consent_page(
        document, action="/c", values=values, errors={"patient-pad": [HOSTILE]}
    )
    assert_csp_safe(page)
    assert "<img src=x" not in page and "<script>alert" not in page


def test_fragment_has_no_global_css_or_page_markup() -> None:
    html = render_form_html(bound_form({}), action="/s")
    assert html.startswith('<form class="tpi-form"') and html.rstrip().endswith("</form>")
    assert "<html" not in html and "<body" not in html and "<link" not in html
    css = static_files()["tpi-forms.css"].read_text(encoding="utf-8")
    rules = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    selectors = re.findall(r"(?:^|})\s*([^{}@]+?)\s*{", rules)
    for group in selectors:
        for selector in group.split(","):
            assert selector.strip().startswith(".tpi-"), f"unscoped selector: {selector.strip()}"


def test_csrf_field_with_a_flask_wtf_form() -> None:
    app = Flask(__name__)
    app.config["SECRET_KEY"] = "test"
    with app.test_request_context("/"):
        form = build_form_class(base=FlaskForm)()
        html = render_form_html(form, action="/s")
        token = re.search(
            r'<input id="csrf_token" name="csrf_token" type="hidden" value="([^"]+)"', html
        )
        assert token and len(token.group(1)) > 20
    assert 'name="csrf_token"' not in render_form_html(bound_form({}), action="/s")


def test_every_control_is_labelled_and_groups_have_legends() -> None:
    html = render_form_html(bound_form({}), action="/s")
    tags = Tags(html)
    labelled = {a.get("for") for t, a in tags.tags if t == "label"}
    for tag, attrs in tags.tags:
        if tag in ("input", "textarea", "select") and attrs.get("type") != "hidden":
            assert attrs.get("id") in labelled, f"unlabelled {tag} {attrs.get('name')}"
    assert html.count("<fieldset") == html.count("<legend")
    assert 'name="pain_sites"' in html and html.count('type="checkbox"') >= 11
    # Help text is tied to its control.
    assert 'aria-describedby="patient_name-help"' in html


def test_errors_summary_links_and_describedby() -> None:
    form = bound_form({"pain_score": "11"}, "es")
    assert not form.validate()
    html = render_kiosk_page(form, action="/s")
    assert_csp_safe(html)
    assert '<html lang="es">' in html
    assert "Hay un problema" in html
    assert '<a href="#pain_score-0">' in html  # a scale links to its first button
    assert 'aria-describedby="pain_score-help pain_score-error"' in html
    assert 'id="pain_score-error"' in html and "Elija un número del 0 al 10." in html
    assert 'data-tpi-has-error="1"' in html
    assert '<span class="tpi-visually-hidden">Error: </span>' in html  # not by colour alone


def test_conditions_are_exported_for_the_page_script() -> None:
    html = render_form_html(bound_form({}), action="/s")
    assert (
        'data-tpi-enable-when="{&#34;equals&#34;:true,&#34;question&#34;:&#34;takes_blood_thinner&#34;}"'
        in html
    )
    assert 'data-tpi-today="2026-03-02"' in html


def test_kiosk_page_structure() -> None:
    html = render_kiosk_page(
        bound_form({}), action="/s", options=PageOptions(locale_links={"en": "/en", "es": "/es"})
    )
    assert html.startswith("<!DOCTYPE html>") and '<html lang="en">' in html
    assert html.count("data-tpi-step ") + html.count("data-tpi-step>") >= 5
    assert 'href="/es" lang="es" hreflang="es"' in html and 'aria-current="true"' in html
    assert 'href="static/tpi-forms.css"' in html and 'src="static/tpi-forms.js"' in html
    assert "data-tpi-step-heading" in html and 'tabindex="-1"' in html


def test_the_language_switch_names_each_language_in_its_own_words() -> None:
    links = {"en": "/en", "es": "/es", "fr": "/fr", "es_MX": "/mx"}
    html = render_kiosk_page(
        bound_form({}, "es"), action="/s", options=PageOptions(locale_links=links)
    )
    nav = html[html.index('<nav class="tpi-lang" aria-label="Idioma">') :]
    nav = nav[: nav.index("</nav>")]
    names = re.findall(r'lang="([\w-]+)" hreflang="[\w-]+"[^>]*>([^<]+)</a>', nav)
    assert names == [
        ("en", "English"),
        ("es", "Español"),
        ("fr", "Français"),
        ("es_MX", "Español (México)"),
    ]


def test_answers_survive_a_round_trip() -> None:
    answers = example_answers("review")
    html = render_kiosk_page(bound_form(answers), action="/s")
    assert 'value="Alex Example"' in html
    assert re.search(r'id="pain_sites-0" name="pain_sites" value="neck" checked', html)
    assert re.search(r'name="takes_blood_thinner" value="yes" checked', html)
    assert re.search(r'name="pain_score" value="4" checked', html)


def test_consent_page_structure() -> None:
    document = build_consent(PlannedProcedure(sites=("neck",)), sample_clinic(), "es")
    html = render_consent_page(document, action="/c", hidden={"csrf_token": "abc"})
    tags = assert_csp_safe(html)
    assert '<html lang="es">' in html
    assert f'name="consent_hash" value="{document.content_hash}"' in html
    assert 'name="csrf_token" value="abc"' in html
    for risk in document.risks:
        assert f'id="risk-{risk.id}"' in html and risk.name in html
    for section in document.sections:
        assert f'data-tpi-section-id="{section.id}"' in html
    assert "data-tpi-sign-step" in html and "data-tpi-consent-end" in html
    for block in ("patient", "practitioner", "witness", "interpreter"):
        assert f'id="{block}-pad"' in html and f'id="{block}-intent"' in html
    assert 'value="legal_representative"' in html and 'id="patient-relationship"' in html
    assert 'id="interpreter-language"' in html
    # Drawing needs the script: without it only typing is offered.
    assert re.search(r'id="patient-method-drawn"[^>]* disabled', html)
    assert re.search(r'id="patient-method-typed"[^>]* checked', html)
    labelled = {a.get("for") for t, a in tags.tags if t == "label"}
    for tag, attrs in tags.tags:
        if tag == "input" and attrs.get("type") != "hidden":
            assert attrs.get("id") in labelled


def test_consent_roles_can_be_limited() -> None:
    document = build_consent(PlannedProcedure(sites=("neck",)), sample_clinic(), "en")
    html = render_consent_page(document, action="/c", roles=["patient"], fragment=True)
    assert html.startswith("<form") and 'id="practitioner-pad"' not in html


def test_template_override_from_a_clinic_folder(tmp_path: Path) -> None:
    (tmp_path / "partials").mkdir()
    (tmp_path / "partials" / "languages.html").write_text(
        '<p class="tpi-clinic-banner">Sample Clinic kiosk</p>', encoding="utf-8"
    )
    html = render_kiosk_page(
        bound_form({}), action="/s", options=PageOptions(template_dirs=[tmp_path])
    )
    assert "Sample Clinic kiosk" in html
    assert "Sample Clinic kiosk" not in render_kiosk_page(bound_form({}), action="/s")


def test_ui_text_is_complete_in_every_language(tmp_path: Path) -> None:
    assert ui_text("es")["buttons.next"] == "Siguiente"
    assert len(ui_text("en")) == len(UI_KEYS)
    with pytest.raises(UnknownLocaleError):
        ui_text("fr")
    from tpi_forms._resources import definition_folder

    for loc in ("en", "es"):
        text = (definition_folder() / f"ui.{loc}.toml").read_text(encoding="utf-8")
        (tmp_path / f"ui.{loc}.toml").write_text(text, encoding="utf-8")
    assert load_ui_texts(tmp_path)["buttons.back"].get("es") == "Atrás"
    es = (tmp_path / "ui.es.toml").read_text(encoding="utf-8")
    (tmp_path / "ui.es.toml").write_text(es.replace('next = "Siguiente"\n', ""), encoding="utf-8")
    with pytest.raises(DefinitionError, match="ui.es.toml: buttons.next: missing text"):
        load_ui_texts(tmp_path)
    (tmp_path / "ui.es.toml").write_text(es + '\n[extra]\nstray = "x"\n', encoding="utf-8")
    with pytest.raises(DefinitionError, match="ui.es.toml: extra"):
        load_ui_texts(tmp_path)


def test_static_demo_opens_from_disk(tmp_path: Path) -> None:
    written = write_static_demo(tmp_path, today=TODAY)
    names = sorted(p.name for p in written)
    assert names == [
        "consent-sign.en.html",
        "consent-sign.es.html",
        "kiosk-screening.en.html",
        "kiosk-screening.es.html",
        "portal-fragment.html",
    ]
    assert sorted(p.name for p in (tmp_path / "static").iterdir()) == sorted(STATIC_FILES)
    for page in written:
        html = page.read_text(encoding="utf-8")
        assert_csp_safe(html)
        for ref in re.findall(r'(?:href|src)="(static/[^"]+)"', html):
            assert (tmp_path / ref).is_file()


def test_host_adds_scripts_body_data_and_end_of_body() -> None:
    from markupsafe import Markup

    from tpi_forms.web.html import PageOptions, render_kiosk_page

    form = build_form_class(locale="en")()
    options = PageOptions(
        extra_scripts=("/host/idle.js",),
        body_data={"idle-seconds": '90"><script>'},
        body_end=Markup('<form id="wipe" hidden></form>'),
    )
    page = render_kiosk_page(form, action="/submit", options=options)
    assert '<script src="/host/idle.js" defer></script>\n</head>' in page
    assert 'data-idle-seconds="90&#34;&gt;&lt;script&gt;"' in page
    assert '<form id="wipe" hidden></form>\n</body>' in page
    plain = render_kiosk_page(form, action="/s", options=PageOptions(body_end="<b>x</b>"))
    assert "&lt;b&gt;x&lt;/b&gt;\n</body>" in plain
    with pytest.raises(ValueError, match="not a valid data attribute name"):
        render_kiosk_page(form, action="/s", options=PageOptions(body_data={"on load": "x"}))
