"""HTML for the screening form and the consent review-and-sign page, from Jinja2 templates.

Three renderings, all CSP-safe (no inline script or style; behaviour in ``static/*.js``):

- `render_form_html`: the screening form as a fragment a clinic portal embeds (class names all
  start ``tpi-``; the CSRF field of a Flask-WTF form is included);
- `render_kiosk_page`: a full page for a check-in tablet, one section per step;
- `render_consent_page`: the consent text, risk acknowledgements and signature blocks.

A clinic overrides any template by passing ``template_dirs`` (its folders come first).
`write_static_demo` writes the pages with their assets beside them, to open from disk.

>>> from tpi_forms.web.forms import build_form_class
>>> html = render_form_html(build_form_class()(), action="/screening")
>>> html.startswith('<form class="tpi-form')
True
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from .._resources import default_environment, make_environment, static_folder
from ..consent.document import ConsentDocument
from ..consent.fields import METHODS, NAMES, RISKS_SECTION, SUMMARY_SECTION
from ..consent.signing import SignerBlock, signer_blocks
from ..definitions.ui_text import ui_locales, ui_text

STATIC_FILES = ("tpi-forms.css", "tpi-forms.js", "signature-pad.js", "consent.js")
"""The assets the pages use, all in `tpi_forms._resources.static_folder`."""

_SCALE_MAX_STEPS = 11  # integer questions with at most this many values are shown as buttons


@dataclass(frozen=True)
class Option:
    """One radio button or checkbox of a question."""

    id: str
    value: str
    label: str
    checked: bool


@dataclass(frozen=True)
class QuestionView:
    """A question as the templates draw it."""

    id: str
    """Element id of the field (the first option's id is ``{id}-0``)."""
    name: str
    """Posted name: the question id."""
    type: str
    """The question type (``boolean``, ``integer`` ...)."""
    widget: str
    """``text``, ``textarea``, ``number``, ``date``, ``radio``, ``checkbox`` or ``scale``."""
    label: str
    help: str | None
    required: bool
    value: str
    """The current value of a text-like field."""
    options: tuple[Option, ...]
    errors: tuple[str, ...]
    enable_when: str | None
    """The condition to ask it, as JSON, for the page script."""
    attrs: Mapping[str, str | int]
    """Extra input attributes (``maxlength``, ``min``, ``max``, ``autocomplete`` ...)."""
    describedby: str
    """Ids of the help and error texts, for ``aria-describedby`` (may be empty)."""

    @property
    def target_id(self) -> str:
        """The element an error summary link moves focus to."""
        return f"{self.id}-0" if self.options else self.id

    @property
    def grouped(self) -> bool:
        """Drawn as a fieldset with a legend (radio and checkbox groups)."""
        return self.widget in ("radio", "checkbox", "scale")


@dataclass(frozen=True)
class SectionView:
    """A section of the form: one step on the tablet."""

    id: str
    title: str
    intro: str | None
    questions: tuple[QuestionView, ...]


@dataclass(frozen=True)
class ErrorLink:
    """One line of the error summary."""

    target: str
    """Element id the link points at (empty: the form as a whole)."""
    message: str


@dataclass(frozen=True)
class PageOptions:
    """Settings shared by the full pages."""

    static_url: str = "static/"
    """URL prefix of the assets in `STATIC_FILES` (ends with ``/``)."""
    locale_links: Mapping[str, str] = field(default_factory=dict)
    """Locale to URL of the same page in that language (the language switch)."""
    template_dirs: Sequence[str | Path] = ()
    """Clinic template folders searched before the shipped templates."""
    extra_scripts: Sequence[str] = ()
    """URLs of further scripts the host adds to the page (loaded deferred, after ours)."""
    body_data: Mapping[str, str] = field(default_factory=dict)
    """``data-*`` attributes for the ``body`` element (settings for ``extra_scripts``)."""
    body_end: str = ""
    """HTML the host adds at the end of ``body``; escaped unless it is `markupsafe.Markup`."""


def _environment(template_dirs: Sequence[str | Path]) -> jinja2.Environment:
    return make_environment(template_dirs) if template_dirs else default_environment()


def _errors_of(form: Any, name: str) -> tuple[str, ...]:
    return tuple(str(e) for e in form[name].errors)


def _question_view(form: Any, wtfield: Any, locale: str, kiosk: bool) -> QuestionView:
    question = form.question(wtfield.name)
    kind = question.type
    attrs: dict[str, str | int] = {}
    options: tuple[Option, ...] = ()
    value = ""
    if kind in ("boolean", "choice", "multichoice"):
        options = tuple(
            Option(f"{wtfield.id}-{i}", str(choice[0]), str(choice[1]), bool(choice[2]))
            for i, choice in enumerate(wtfield.iter_choices())  # (value, label, selected, ...)
        )
        widget = "checkbox" if kind == "multichoice" else "radio"
    elif kind == "integer" and _is_scale(question.min, question.max):
        assert question.min is not None and question.max is not None
        current = _text_value(wtfield)
        options = tuple(
            Option(f"{wtfield.id}-{i}", str(n), str(n), current == str(n))
            for i, n in enumerate(range(question.min, question.max + 1))
        )
        widget = "scale"
    else:
        value = _text_value(wtfield)
        widget = {"text": "textarea", "integer": "number", "date": "date"}.get(kind, "text")
        if kind in ("string", "text"):
            attrs["maxlength"] = question.max_length
        if kind == "integer":
            attrs["inputmode"] = "numeric"
            if question.min is not None:
                attrs["min"] = question.min
            if question.max is not None:
                attrs["max"] = question.max
        if question.personal and not kiosk:
            attrs["autocomplete"] = "bday" if kind == "date" else "name"
        elif kiosk:
            attrs["autocomplete"] = "off"
    errors = _errors_of(form, wtfield.name)
    help_text = str(wtfield.description) or None
    described = " ".join(
        i for i, on in ((f"{wtfield.id}-help", help_text), (f"{wtfield.id}-error", errors)) if on
    )
    return QuestionView(
        id=wtfield.id,
        name=wtfield.name,
        type=kind,
        widget=widget,
        label=str(wtfield.label.text),
        help=help_text,
        required=question.required,
        value=value,
        options=options,
        errors=errors,
        enable_when=form.enable_when_json(wtfield.name),
        attrs=attrs,
        describedby=described,
    )


def _is_scale(low: int | None, high: int | None) -> bool:
    return low is not None and high is not None and 0 < high - low + 1 <= _SCALE_MAX_STEPS


def _text_value(wtfield: Any) -> str:
    value = wtfield._value()  # WTForms: posted text if any, else the formatted data
    return "" if value is None else str(value)


def _sections(form: Any, kiosk: bool) -> tuple[SectionView, ...]:
    return tuple(
        SectionView(
            s.id,
            s.title,
            s.intro,
            tuple(_question_view(form, f, form.locale, kiosk) for f in s.fields),
        )
        for s in form.sections()
    )


def _error_links(form: Any, sections: Sequence[SectionView]) -> tuple[ErrorLink, ...]:
    links = [ErrorLink("", str(e)) for e in getattr(form, "form_errors", ())]
    for name, wtfield in form._fields.items():
        if name not in form.questionnaire.questions and wtfield.errors:
            links.extend(
                ErrorLink("", str(e)) for e in wtfield.errors
            )  # e.g. an expired CSRF token
    for section in sections:
        for q in section.questions:
            joiner = " " if q.label.rstrip().endswith(("?", ":", "¿")) else ": "
            links.extend(ErrorLink(q.target_id, f"{q.label}{joiner}{e}") for e in q.errors)
    return tuple(links)


def _hidden_fields(form: Any) -> Markup:
    """Hidden fields that are not questions: the CSRF token of Flask-WTF and similar metas."""
    parts = [
        wtfield()
        for name, wtfield in form._fields.items()
        if name not in form.questionnaire.questions
        and ("Hidden" in type(wtfield).__name__ or wtfield.type == "CSRFTokenField")
    ]
    return Markup("").join(parts)


def _form_context(
    form: Any, *, action: str, method: str, plan: Mapping[str, Any] | None, kiosk: bool
) -> dict[str, Any]:
    sections = _sections(form, kiosk)
    as_of = getattr(form, "as_of", None) or dt.date.today()
    return {
        "form": form,
        "ui": ui_text(form.locale),
        "locale": form.locale,
        "title": form.questionnaire.title.get(form.locale),
        "intro": form.text(form.questionnaire.intro),
        "sections": sections,
        "errors": _error_links(form, sections),
        "hidden": _hidden_fields(form),
        "action": action,
        "method": method,
        "plan_json": json.dumps(dict(plan or {}), separators=(",", ":"), sort_keys=True),
        "today": as_of.isoformat(),
        "kiosk": kiosk,
    }


def render_form_html(
    form: Any,
    *,
    action: str,
    method: str = "post",
    plan: Mapping[str, Any] | None = None,
    static_url: str | None = None,
    template_dirs: Sequence[str | Path] = (),
) -> str:
    """The screening form as an HTML fragment to embed in a portal page.

    ``form`` is an instance of a class from `tpi_forms.web.forms.build_form_class` (bound to posted
    data to show answers and errors). ``static_url``, when given, adds the stylesheet and script
    tags to the fragment; otherwise the portal links `STATIC_FILES` itself. ``plan`` holds the
    planned procedure's values (``PlannedProcedure.as_values``) for conditions on the plan.
    """
    context = _form_context(form, action=action, method=method, plan=plan, kiosk=False)
    context["static_url"] = static_url
    return _environment(template_dirs).get_template("form_fragment.html").render(context)


def render_kiosk_page(
    form: Any,
    *,
    action: str,
    plan: Mapping[str, Any] | None = None,
    options: PageOptions = PageOptions(),
) -> str:
    """A full page for a check-in tablet: large type, one section per step, a language switch."""
    context = _form_context(form, action=action, method="post", plan=plan, kiosk=True)
    context.update(_page_context(form.locale, options))
    return _environment(options.template_dirs).get_template("kiosk.html").render(context)


def _page_context(locale: str, options: PageOptions) -> dict[str, Any]:
    names = {loc: ui_text(loc)["steps.language"] for loc in ui_locales()}
    return {
        "static_url": options.static_url,
        "languages": [
            {
                "locale": loc,
                "url": url,
                "name": _LANGUAGE_NAMES.get(loc, loc),
                "current": loc == locale,
            }
            for loc, url in options.locale_links.items()
        ],
        "language_label": names.get(locale, "Language"),
        "extra_scripts": options.extra_scripts,
        "body_data": {_data_name(k): v for k, v in options.body_data.items()},
        "body_end": options.body_end,
    }


def _data_name(name: str) -> str:
    if not re.fullmatch(r"[a-z][a-z0-9-]*", name):
        raise ValueError(f"'{name}' is not a valid data attribute name (a-z, 0-9 and -)")
    return name


_LANGUAGE_NAMES = {"en": "English", "es": "Español"}


def render_consent_page(
    document: ConsentDocument,
    *,
    action: str,
    roles: Sequence[str] | None = None,
    values: Mapping[str, Any] | None = None,
    errors: Mapping[str, Sequence[str]] | None = None,
    hidden: Mapping[str, str] | None = None,
    options: PageOptions = PageOptions(),
    fragment: bool = False,
) -> str:
    """The consent review-and-sign page (or, with ``fragment=True``, just its form).

    ``values`` and ``errors`` (from `tpi_forms.errors.ConsentFormError`) re-fill the page after a
    refused submission; ``hidden`` adds hidden inputs such as a CSRF token; ``roles`` limits
    the signature blocks (default: every role of the document).
    """
    values = values or {}
    errors = {k: list(v) for k, v in (errors or {}).items()}
    ui = ui_text(document.locale if document.locale in ui_locales() else "en")
    blocks = signer_blocks(document, roles)
    context: dict[str, Any] = {
        "doc": document,
        "ui": ui,
        "locale": document.locale,
        "action": action,
        "names": NAMES,
        "logo": None
        if document.logo is None
        else {"src": document.logo.data_uri(), "alt": document.facility.name},
        "blocks": [_block_view(b, values, errors) for b in blocks],
        "risk_groups": [
            (group, [r for r in document.risks if r.group == group.id])
            for group in document.risk_groups
        ],
        "risks": [
            {"risk": r, "id": NAMES.risk(r.id), "checked": _ticked(values, NAMES.risk(r.id))}
            for r in document.risks
        ],
        "esign_checked": _ticked(values, NAMES.esign_consent),
        "errors": errors,
        "error_links": [ErrorLink(k, m) for k, ms in errors.items() for m in ms],
        "hidden": dict(hidden or {}),
        "review": {k: _value(values, NAMES.review(k)) for k in NAMES.review_parts if k != "script"},
        "summary_section": SUMMARY_SECTION,
        "risks_section": RISKS_SECTION,
        "fragment": fragment,
    }
    context.update(_page_context(document.locale, options))
    template = "consent_fragment.html" if fragment else "consent.html"
    return _environment(options.template_dirs).get_template(template).render(context)


def _value(values: Mapping[str, Any], key: str) -> str:
    value = values.get(key)
    if isinstance(value, list | tuple):
        value = value[0] if value else None
    return value if isinstance(value, str) else ""


def _ticked(values: Mapping[str, Any], key: str) -> bool:
    return _value(values, key) not in ("", "0", "false", "no", "off")


def _block_view(
    block: SignerBlock, values: Mapping[str, Any], errors: Mapping[str, Sequence[str]]
) -> dict[str, Any]:
    f = block.fields
    chosen = _value(values, f.signer) or block.roles[0].id
    method = _value(values, f.method)
    return {
        "block": block,
        "id": block.id,
        "f": f,
        "chosen": chosen,
        "method": method if method in METHODS else "typed",
        "method_chosen": method in METHODS,
        "printed_name": _value(values, f.printed_name),
        "intent": _ticked(values, f.intent),
        "png": _value(values, f.png),
        "strokes": _value(values, f.strokes),
        "extra": {x.id: _value(values, f.extra(x.id)) for role in block.roles for x in role.fields},
        "has_errors": any(k.startswith(f.name("")) for k in errors),
    }


def static_files() -> dict[str, Path]:
    """The page assets by file name, to serve or copy beside the pages."""
    folder = static_folder()
    return {name: folder / name for name in STATIC_FILES}


def copy_static(out_dir: str | Path) -> Path:
    """Copy the page assets into ``out_dir/static`` and return that folder."""
    target = Path(out_dir) / "static"
    target.mkdir(parents=True, exist_ok=True)
    for name, path in static_files().items():
        shutil.copyfile(path, target / name)
    return target


def write_static_demo(out_dir: str | Path, *, today: dt.date | None = None) -> list[Path]:
    """Write the kiosk screening page (each language), the portal fragment inside a small host
    page and the consent review-and-sign page, with their assets, to open from disk.

    Returns the pages written. Forms post nowhere (``action="#"``): they are for looking at.
    """
    from ..consent.document import build_consent
    from ..definitions.clinic import sample_clinic
    from ..screening.procedure import PlannedProcedure
    from .forms import build_form_class

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    copy_static(out)
    written: list[Path] = []
    kiosk_links = {loc: f"kiosk-screening.{loc}.html" for loc in ui_locales()}
    consent_links = {loc: f"consent-sign.{loc}.html" for loc in ui_locales()}
    plan = PlannedProcedure(sites=("neck", "upper_back"), corticosteroid=False)
    for loc in ui_locales():
        form = build_form_class(locale=loc)()
        form.as_of = today
        page = render_kiosk_page(form, action="#", options=PageOptions(locale_links=kiosk_links))
        written.append(_write(out / kiosk_links[loc], page))
        document = build_consent(plan, sample_clinic(), loc)
        page = render_consent_page(
            document, action="#", options=PageOptions(locale_links=consent_links)
        )
        written.append(_write(out / consent_links[loc], page))
    form = build_form_class(locale="en")()
    form.as_of = today
    fragment = render_form_html(form, action="#")
    host = (
        _environment(())
        .get_template("portal_host.html")
        .render(fragment=Markup(fragment), static_url="static/", locale="en")
    )
    written.append(_write(out / "portal-fragment.html", host))
    return written


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path
