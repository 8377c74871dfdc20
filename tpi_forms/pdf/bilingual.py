"""Blank paper packets in several languages: one part per language, each tagged with its own.

A clinic that serves patients in English and Spanish prints one packet that holds the whole
blank packet in each language, one after the other. Each part is an ``<article lang="…">``,
so the tagged PDF (`tpi_forms.pdf.tagging`) tells a screen reader which language every part is
in; the document's own language, title and running header are the first language's.

>>> pdf = render_multilingual_blank(("en", "es"))
>>> pdf[:5]
b'%PDF-'
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from markupsafe import Markup

from ..definitions.clinic import Clinic, sample_clinic
from ..errors import PacketError
from ..i18n import format_date
from ..record.assemble import assemble_consent
from ..screening.procedure import PlannedProcedure
from .heading import _header_name, _logo_view, _titles
from .packet import BlankPatient, PacketRenderer
from .render import PdfMetadata, render_pdf

__all__ = ["render_multilingual_blank"]


def render_multilingual_blank(
    locales: Sequence[str],
    procedure: PlannedProcedure | None = None,
    clinic: Clinic | None = None,
    *,
    patient: BlankPatient | None = None,
    renderer: PacketRenderer | None = None,
    created: dt.datetime | None = None,
) -> bytes:
    """A blank packet with one part per language in ``locales`` (at least two, each once).

    :raises PacketError: fewer than two languages, or one named twice.
    """
    locales = tuple(locales)
    if len(locales) < 2 or len(set(locales)) != len(locales):
        raise PacketError("a packet in several languages names at least two, each once")
    renderer = renderer or PacketRenderer()
    procedure = procedure or PlannedProcedure()
    clinic = clinic or sample_clinic()
    parts = []
    titles = []
    for locale in locales:
        consent = assemble_consent(procedure, clinic, locale)
        body = renderer.blank_html(procedure, clinic, locale, consent, patient, part=True)
        parts.append({"locale": locale, "body": Markup(body)})  # noqa: S704 (autoescaped above)
        titles.append(_titles(renderer.words.words(locale), consent)["blank_title"])
    first = locales[0]
    consent = assemble_consent(procedure, clinic, first)
    t = renderer.words.words(first)
    patient = patient or BlankPatient()
    dob = patient.date_of_birth
    html = renderer.env.get_template("pdf/multilingual.html").render(
        {
            "t": t,
            "locale": first,
            "title": " / ".join(titles),
            "notice": _titles(t, consent)["template_notice"],
            "facility": clinic.name,
            "logo": _logo_view(clinic.logo, consent, clinic.name),
            "header_patient": _header_name(patient.name or ""),
            "header_dob": format_date(dob, first) if dob else "",
            "consent_version": consent.get("version", ""),
            "parts": parts,
        }
    )
    return render_pdf(
        html,
        stylesheets=renderer.stylesheets,
        variant=renderer.settings.variant,
        metadata=PdfMetadata(
            title=" / ".join(titles), lang=first, author=clinic.name, created=created
        ),
    )
