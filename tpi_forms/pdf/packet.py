"""Signed consent packets and blank paper packets, rendered to PDF/A-3 from Jinja2 templates.

A packet prints a `ConsentRecord` for people (summary, readable answers, the consent as shown,
signatures, audit trail) and embeds the same record as ``record.json`` for machines. The
record's SHA-256 is printed on the audit page; the record never holds the PDF, so there is no
circularity. `render_packet` adds a ``packet_generated`` event to the audit trail first.

>>> from tpi_forms.pdf.packet import render_packet  # doctest: +SKIP
>>> pdf = render_packet(record)  # doctest: +SKIP

A clinic configures a `PacketRenderer` (its own template folders first, its own stylesheet,
Letter or A4 paper) and calls ``renderer.render(record)``. A blank packet may carry the
patient's name and date of birth (`BlankPatient`) so the front desk prints it ready for them.
`tpi_forms.pdf.batch` renders many packets over a process pool; `build_record` (from
`tpi_forms.record.assemble`) makes the record a packet prints.

The procedure's name comes from the consent (its title), never from these templates, so a
clinic's own consent definition names its own procedure on every page; so do the signer roles
(titles, meanings and the fields each signer fills in). The clinic's logo, when it has one, is
printed at the top of the first page and on the consent, from the bytes the record carries.
The words are the ``packet.<locale>.toml`` word set (`packet_words`), audit events included
(`tpi_forms.pdf.audit`); a clinic replaces them with its own folder of such files
(`PacketSettings.text_dir`).
"""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import clock
from .._resources import make_environment
from .._text import hidden_character, nfc
from ..definitions.clinic import Clinic, ClinicLogo, sample_clinic
from ..definitions.questionnaire import Questionnaire, load_questionnaire
from ..definitions.words import WordSet, load_words, word_set
from ..errors import ClinicError, PacketError
from ..i18n import format_date, format_datetime, format_list, to_zone
from ..record.assemble import assemble_consent, build_record
from ..record.model import MAX_NAME, RECORD_ATTACHMENT, AuditEvent, ConsentRecord, record_hash
from ..screening.engine import finding_reasons
from ..screening.procedure import PlannedProcedure
from .audit import describe_event
from .paper import PAGE_SIZES, write_atomically
from .printed import (
    blank_question,
    identity_questions,
    medicine_name,
    patient_identity,
    readable_answers,
    signer_roles,
)
from .render import DEFAULT_VARIANT, Attachment, PdfMetadata, render_pdf

__all__ = [
    "HEADER_NAME_CHARS",
    "MAX_ANSWER_CHARS",
    "MAX_RECORD_BYTES",
    "PAGE_SIZES",
    "RECORD_ATTACHMENT",
    "TITLE_PLACEHOLDERS",
    "BlankPatient",
    "PacketError",
    "PacketRenderer",
    "PacketSettings",
    "assemble_consent",
    "build_record",
    "identity_questions",
    "packet_words",
    "patient_identity",
    "readable_answers",
    "render_blank_packet",
    "render_packet",
    "write_atomically",
]

MAX_ANSWER_CHARS = 5000
"""Longest single answer a packet prints, in characters."""
MAX_RECORD_BYTES = 8 * 1024 * 1024
"""Largest record a packet embeds, in bytes of canonical JSON."""
HEADER_NAME_CHARS = 80
"""Longest patient name the running header prints; longer names end in "…" there (the summary
and the name field print them whole)."""
TITLE_PLACEHOLDERS = ("consent_title", "consent_id", "consent_version")
"""What a clinic's own packet title, blank title and footer notice may name."""
_TITLE_KEYS = ("packet_title", "blank_title", "template_notice")


@dataclass(frozen=True)
class PacketSettings:
    """How packets are rendered; a clinic changes templates, stylesheets or the PDF/A level."""

    template_dirs: tuple[str, ...] = ()
    """Folders searched before the shipped templates (``pdf/packet.html`` overrides ours)."""
    text_dir: str | None = None
    """A folder of the clinic's own ``packet.<locale>.toml`` files, used instead of the shipped
    packet words; checked like them (every key in every language) when the renderer is built."""
    stylesheets: tuple[str, ...] = ("pdf/packet.css",)
    """Stylesheets, as paths inside the static folder."""
    variant: str = DEFAULT_VARIANT
    """PDF/A level: ``pdf/a-3u`` (default), ``pdf/a-3b`` or ``pdf/a-3a``."""
    questionnaire_path: str | None = None
    """Questionnaire definition whose labels print the answers; None: the shipped one."""
    page_size: str = "letter"
    """Paper size: ``letter`` (US Letter, 8.5 x 11 in) or ``a4``; set by the CSS ``@page`` rule."""

    def __post_init__(self) -> None:
        if self.page_size not in PAGE_SIZES:
            raise PacketError(
                f"unknown page size '{self.page_size}' (expected one of: {', '.join(PAGE_SIZES)})"
            )


@dataclass(frozen=True)
class BlankPatient:
    """Who a blank packet is printed for; both fields are optional and printed as given."""

    name: str | None = None
    """The patient's name, printed in the header and the questionnaire's name field (as NFC)."""
    date_of_birth: dt.date | None = None
    """The patient's date of birth, printed in the header and the date-of-birth field."""

    def __post_init__(self) -> None:
        if self.name is not None:
            if not isinstance(self.name, str):
                raise PacketError("the patient's name must be text")
            if len(self.name) > MAX_NAME:
                raise PacketError(f"the patient's name is longer than {MAX_NAME} characters")
            if hidden_character(self.name):
                raise PacketError("the patient's name has a hidden or control character")
            object.__setattr__(self, "name", nfc(self.name.strip()) or None)
        dob = self.date_of_birth
        if dob is not None:
            if isinstance(dob, dt.datetime) or not isinstance(dob, dt.date):
                raise PacketError("the date of birth must be a date (without a time)")
            if dob > clock.latest_today():
                raise PacketError("the date of birth is in the future")


def packet_words(text_dir: str | Path | None = None) -> WordSet:
    """The packet words: the shipped ``packet.<locale>.toml``, or a clinic's own folder of them.

    A clinic's files must have every key of the shipped ones; their titles and footer may name
    any of `TITLE_PLACEHOLDERS`. Raises `DefinitionError` naming the file and key otherwise.
    """
    if text_dir is None:
        return word_set("packet")
    return load_words(
        "packet",
        Path(text_dir),
        like=word_set("packet"),
        placeholders=dict.fromkeys(_TITLE_KEYS, TITLE_PLACEHOLDERS),
    )


def _titles(t: Mapping[str, str], consent: Mapping[str, Any]) -> dict[str, str]:
    """Title and footer of a packet, naming the consent's procedure, id and version."""
    values = {
        "consent_title": str(consent.get("title", "")),
        "consent_id": str(consent.get("definition_id", "")),
        "consent_version": str(consent.get("version", "")),
    }
    return {key: t[key].format(**values) for key in _TITLE_KEYS}


def _logo_view(logo: ClinicLogo | None, consent: Mapping[str, Any], alt: str) -> Any:
    """The logo as the templates print it, once it is checked to be the one the consent names."""
    facility = consent.get("facility")
    named = facility.get("logo_sha256") if isinstance(facility, Mapping) else None
    if (None if logo is None else logo.sha256) != named:
        raise PacketError("the clinic's logo is not the one the consent names")
    return None if logo is None else {"src": logo.data_uri(), "alt": alt}


def _record_logo(record: ConsentRecord) -> ClinicLogo | None:
    data = record.clinic.get("logo")
    if data is None:
        return None
    try:
        return ClinicLogo.from_dict(data)
    except (ClinicError, AttributeError) as exc:
        raise PacketError(f"the record's clinic logo cannot be printed: {exc}") from None


def _header_name(name: str) -> str:
    if len(name) <= HEADER_NAME_CHARS:
        return name
    return name[: HEADER_NAME_CHARS - 1] + "…"


class PacketRenderer:
    """Renders packets with one configuration; build once, render many.

    >>> settings = PacketSettings(template_dirs=("clinic_templates",))
    >>> renderer = PacketRenderer(settings)  # doctest: +SKIP
    """

    def __init__(self, settings: PacketSettings | None = None) -> None:
        self.settings = settings or PacketSettings()
        self.env = make_environment(self.settings.template_dirs)
        for folder in self.settings.template_dirs:
            if (Path(folder) / "pdf" / "packet_text.toml").is_file():
                raise PacketError(
                    f"{folder}: pdf/packet_text.toml is no longer read; put packet.<locale>.toml"
                    " files in a folder and name it in PacketSettings.text_dir"
                )
        self.words = packet_words(self.settings.text_dir)
        path = self.settings.questionnaire_path
        self.questionnaire: Questionnaire = load_questionnaire(path)

    @property
    def stylesheets(self) -> tuple[str, ...]:
        """Every stylesheet a render uses: the page size first, so a clinic's own sheets win."""
        return (f"pdf/page-{self.settings.page_size}.css", *self.settings.stylesheets)

    # -- signed packets -------------------------------------------------------------------

    def finalise(
        self, record: ConsentRecord, generated_at: dt.datetime | None = None
    ) -> ConsentRecord:
        """The record as embedded: with a ``packet_generated`` event at ``generated_at``."""
        at = generated_at or dt.datetime.now(dt.UTC)
        event = AuditEvent(at=at, event="packet_generated", device_id=record.device_id)
        return record.with_events([event])

    def html(self, record: ConsentRecord, digest: str) -> str:
        """The packet as HTML, with ``digest`` (the record's SHA-256) printed on the audit page."""
        self._check_limits(record)
        context = self._context(record, digest)
        return self.env.get_template("pdf/packet.html").render(context)

    def render(self, record: ConsentRecord, *, generated_at: dt.datetime | None = None) -> bytes:
        """The signed packet as PDF/A-3 bytes with the finalised record embedded."""
        final = self.finalise(record, generated_at)
        data = final.to_json()
        if len(data) > MAX_RECORD_BYTES:
            raise PacketError(f"the record is larger than {MAX_RECORD_BYTES // (1024 * 1024)} MiB")
        final = ConsentRecord.from_json(data)  # print what is embedded, in its key order
        digest = record_hash(final)
        html = self.html(final, digest)
        t = self.words.words(final.locale)
        titles = _titles(t, final.consent)
        created = final.audit[-1].at
        keywords = ("consent", str(final.consent.get("procedure", "")), f"sha256:{digest}")
        return render_pdf(
            html,
            stylesheets=self.stylesheets,
            variant=self.settings.variant,
            attachments=[
                Attachment(RECORD_ATTACHMENT, data, f"Consent record, SHA-256 {digest}", "Data")
            ],
            metadata=PdfMetadata(
                title=titles["packet_title"],
                lang=final.locale,
                author=str(final.clinic.get("name", "")),
                subject=f"{t['consent_version']} {final.consent_version}; "
                f"{t['record_hash']} {digest}",
                keywords=tuple(k for k in keywords if k),
                created=created,
                modified=created,
            ),
        )

    def _check_limits(self, record: ConsentRecord) -> None:
        for key, value in record.answers.items():
            texts = value if isinstance(value, tuple) else (value,)
            for text in texts:
                if isinstance(text, str) and len(text) > MAX_ANSWER_CHARS:
                    raise PacketError(
                        f"answer '{key}' is longer than {MAX_ANSWER_CHARS} characters"
                    )

    def _context(self, record: ConsentRecord, digest: str) -> dict[str, Any]:
        locale = record.locale
        t = self.words.words(locale)
        titles = _titles(t, record.consent)
        q = self.questionnaire
        tz = str(record.clinic.get("time_zone", "UTC"))
        name, dob = patient_identity(record.answers, q, locale)
        procedure = record.procedure
        findings = []
        for f in record.screening.get("findings", ()):
            because = finding_reasons(f, q, locale)
            findings.append(
                {
                    "severity": f.get("severity", ""),
                    "lines": [
                        x for x in (f.get("patient_message"), f.get("clinician_rationale")) if x
                    ],
                    "because": because,
                    "source": f.get("source", ""),
                }
            )
        status = str(record.screening.get("status", ""))
        roles = {role["id"]: role for role in signer_roles(record.consent)}
        signers = [
            {
                "printed_name": s.printed_name,
                "role": roles[s.role]["title"],
                "fields": [
                    {"label": f["label"], "value": getattr(s, f["id"])}
                    for f in roles[s.role]["fields"]
                ],
                "signed_at": format_datetime(s.signed_at, locale, tz),
                "meaning": s.meaning,
                "method": t[f"method_{s.method}"],
                "intent_confirmed": s.intent_confirmed,
                "image_url": None
                if s.image_png is None
                else "data:image/png;base64," + base64.b64encode(s.image_png).decode("ascii"),
            }
            for s in record.signatures
        ]
        events = []
        for e in record.audit:
            other_device = e.device_id if e.device_id != record.device_id else None
            worded = describe_event(e.event, e.detail, t, record.consent, other_device)
            at = to_zone(e.at, tz).isoformat(sep=" ", timespec="seconds")
            events.append({"at": at, "event": worded.what, "detail": worded.detail})
        return {
            "t": t,
            "locale": locale,
            "title": titles["packet_title"],
            "notice": titles["template_notice"],
            "facility": record.clinic.get("name", ""),
            "logo": _logo_view(
                _record_logo(record), record.consent, str(record.clinic.get("name", ""))
            ),
            "header_patient": _header_name(name),
            "header_dob": dob,
            "patient_name": name,
            "patient_dob": dob,
            "consent_version": record.consent_version,
            "consent_hash": record.consent_hash,
            "consent": record.consent,
            "consent_title": str(record.consent.get("title", "")),
            "sites": format_list(
                [self._site(s, locale) for s in procedure.get("sites", ())], locale
            )
            if procedure.get("sites")
            else t["not_answered"],
            "local_anesthetic": medicine_name(
                record.consent, str(procedure.get("local_anesthetic", ""))
            ),
            "corticosteroid": t["yes"] if procedure.get("corticosteroid") else t["no"],
            "questionnaire_id": record.questionnaire_id,
            "questionnaire_version": record.questionnaire_version,
            "status": status,
            "status_text": t.get(f"status_{status}", status),
            "findings": findings,
            "answer_sections": readable_answers(record.answers, q, locale, t),
            "signers": signers,
            "events": events,
            "created_at": format_datetime(record.created_at, locale, tz),
            "device_id": record.device_id or "—",
            "record_hash": digest,
        }

    def _site(self, site: str, locale: str) -> str:
        for choice in self.questionnaire.plan.sites:
            if choice.id == site:
                return choice.label.get(locale)
        return site

    # -- blank packets ----------------------------------------------------------------------

    def blank_html(
        self,
        procedure: PlannedProcedure,
        clinic: Clinic,
        locale: str,
        consent: Mapping[str, Any],
        patient: BlankPatient | None = None,
    ) -> str:
        """A paper packet: every question with boxes and lines, the consent, empty signatures.

        ``patient``'s name and date of birth, when given, print in the header and fill the
        questionnaire's own name and date-of-birth fields.
        """
        t = self.words.words(locale)
        titles = _titles(t, consent)
        q = self.questionnaire
        patient = patient or BlankPatient()
        name = patient.name or ""
        dob = format_date(patient.date_of_birth, locale) if patient.date_of_birth else ""
        name_id, dob_id = identity_questions(q)
        prefilled = {name_id: name, dob_id: dob}
        sections = []
        for section in q.sections:
            questions = [
                blank_question(question, locale, prefilled.get(question.id) or None)
                for question in section.questions
            ]
            sections.append(
                {
                    "title": section.title.get(locale),
                    "intro": section.intro.get(locale) if section.intro else None,
                    "questions": questions,
                }
            )
        context = {
            "t": t,
            "locale": locale,
            "title": titles["blank_title"],
            "notice": titles["template_notice"],
            "facility": clinic.name,
            "logo": _logo_view(clinic.logo, consent, clinic.name),
            "header_patient": _header_name(name),
            "header_dob": dob,
            "consent_version": consent.get("version", ""),
            "consent_hash": consent.get("content_hash", ""),
            "consent": consent,
            "intro": q.intro.get(locale) if q.intro else None,
            "sections": sections,
            "roles": signer_roles(consent),
        }
        return self.env.get_template("pdf/blank.html").render(context)

    def render_blank(
        self,
        procedure: PlannedProcedure | None = None,
        clinic: Clinic | None = None,
        locale: str = "en",
        *,
        consent: Mapping[str, Any] | None = None,
        created: dt.datetime | None = None,
        patient: BlankPatient | None = None,
    ) -> bytes:
        """A blank packet as PDF/A-3 bytes (no record is embedded: nothing was signed).

        :param consent: the consent to print (default: assembled for ``procedure`` at ``clinic``).
        :param patient: name and date of birth to print on it (default: lines to write on).
        """
        procedure = procedure or PlannedProcedure()
        clinic = clinic or sample_clinic()
        if consent is None:
            consent = assemble_consent(procedure, clinic, locale)
        titles = _titles(self.words.words(locale), consent)
        return render_pdf(
            self.blank_html(procedure, clinic, locale, consent, patient),
            stylesheets=self.stylesheets,
            variant=self.settings.variant,
            metadata=PdfMetadata(
                title=titles["blank_title"], lang=locale, author=clinic.name, created=created
            ),
        )


# -- one-call API ----------------------------------------------------------------------------

_DEFAULT_RENDERER: PacketRenderer | None = None


def render_packet(
    record: ConsentRecord,
    *,
    renderer: PacketRenderer | None = None,
    generated_at: dt.datetime | None = None,
) -> bytes:
    """Render a signed packet (PDF/A-3 bytes) for ``record`` with the default or given renderer."""
    return (renderer or _default_renderer()).render(record, generated_at=generated_at)


def render_blank_packet(
    procedure: PlannedProcedure | None = None,
    clinic: Clinic | None = None,
    locale: str = "en",
    *,
    patient: BlankPatient | None = None,
    renderer: PacketRenderer | None = None,
) -> bytes:
    """Render a blank paper packet: questionnaire with tick boxes, consent, empty signatures.

    >>> pdf = render_blank_packet(patient=BlankPatient("Alex Example", dt.date(1980, 4, 12)))
    >>> pdf[:5]
    b'%PDF-'
    """
    return (renderer or _default_renderer()).render_blank(
        procedure, clinic, locale, patient=patient
    )


def _default_renderer() -> PacketRenderer:
    global _DEFAULT_RENDERER
    if _DEFAULT_RENDERER is None:
        _DEFAULT_RENDERER = PacketRenderer()
    return _DEFAULT_RENDERER
