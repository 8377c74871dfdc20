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
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..__about__ import __version__
from .._resources import make_environment
from ..definitions.clinic import Clinic, sample_clinic
from ..definitions.questionnaire import Questionnaire, load_questionnaire
from ..definitions.words import WordSet, load_words, word_set
from ..errors import PacketError
from ..i18n import format_date, format_datetime, format_list, to_zone
from ..json_types import JsonValue
from ..record.assemble import assemble_consent, build_record
from ..record.model import RECORD_ATTACHMENT, AuditEvent, ConsentRecord, record_hash
from ..screening.engine import finding_reasons
from ..screening.procedure import PlannedProcedure
from . import render as render_module
from .audit import describe_event
from .blank_patient import BlankPatient
from .consent_cache import ConsentPageCache, layout_packet
from .heading import (
    _TITLE_KEYS,
    HEADER_NAME_CHARS,
    TITLE_PLACEHOLDERS,
    _header_name,
    _logo_view,
    _record_logo,
    _titles,
)
from .paper import PAGE_SIZES, write_atomically
from .printed import (
    blank_question,
    identity_questions,
    medicine_name,
    patient_identity,
    readable_answers,
    signer_roles,
)
from .render import (
    DEFAULT_VARIANT,
    Attachment,
    ParsedStyles,
    PdfMetadata,
    check_variant,
    render_pdf,
    write_document,
)
from .review import process_context

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
    """PDF/A level: ``pdf/a-3a`` (default: tagged, PDF/UA-1 too), ``pdf/a-3u`` or ``pdf/a-3b``."""
    questionnaire_path: str | None = None
    """Questionnaire definition whose labels print the answers; None: the shipped one."""
    page_size: str = "letter"
    """Paper size: ``letter`` (US Letter, 8.5 x 11 in) or ``a4``; set by the CSS ``@page`` rule."""
    consent_cache_entries: int = 8
    """Distinct consents whose pages a renderer keeps laid out (`tpi_forms.pdf.consent_cache`);
    0 lays out every packet whole."""
    consent_cache_pages: int = 64
    """Laid-out consent pages a renderer keeps, over all its entries."""

    def __post_init__(self) -> None:
        if self.consent_cache_entries < 0 or self.consent_cache_pages < 0:
            raise PacketError("the consent page cache's limits must be 0 or more")
        if self.page_size not in PAGE_SIZES:
            raise PacketError(
                f"unknown page size '{self.page_size}' (expected one of: {', '.join(PAGE_SIZES)})"
            )


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
        self.styles = ParsedStyles(self.stylesheets)
        """The stylesheets, parsed once for every packet this renderer makes."""
        self.consent_cache = ConsentPageCache(
            self.settings.consent_cache_entries, self.settings.consent_cache_pages
        )
        """Consent pages laid out once (`tpi_forms.pdf.consent_cache`)."""
        self._lock = threading.Lock()  # one layout at a time: the font configuration is shared
        self._shipped_look = not self.settings.template_dirs and (
            self.settings.stylesheets == PacketSettings().stylesheets
        )  # whose running header is the same on every page (consent_cache.SAME_ON_EVERY_PAGE)

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
        self._check_limits(final)
        context = self._context(final, digest)
        t = self.words.words(final.locale)
        titles = _titles(t, final.consent)
        created = final.audit[-1].at
        keywords = ("consent", str(final.consent.get("procedure", "")), f"sha256:{digest}")
        variant = self.settings.variant
        check_variant(variant)
        fetcher = render_module.AssetFetcher()
        with self._lock:
            document = layout_packet(
                self.env,
                context,
                stylesheets=self.stylesheets,
                styles=self.styles,
                cache=self.consent_cache,
                variant=variant,
                fetcher=fetcher,
                margins_once=self._shipped_look,
            )
            return write_document(
                document,
                variant=variant,
                fetcher=fetcher,
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
                    generator=f"tpi_forms {__version__}",  # verify names the version that made it
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
        planned = procedure.get("sites")
        sites = planned if isinstance(planned, tuple | list) else ()  # a frozen record's tuple
        screening = record.screening_result
        findings = []
        for f in screening.findings:
            because = finding_reasons(f, q, locale)
            findings.append(
                {
                    "severity": f.severity,
                    "rule_id": f.rule_id,
                    "lines": [x for x in (f.patient_message, f.clinician_rationale) if x],
                    "because": because,
                    "source": f.source,
                }
            )
        status = screening.status
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
                "image_alt": t["signature_alt"].format(
                    name=s.printed_name, when=format_datetime(s.signed_at, locale, tz)
                ),
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
            "sites": format_list([self._site(str(s), locale) for s in sites], locale)
            if sites
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
            "consent_pages": 0,  # the whole consent here (consent_cache sets it for its pages)
            **process_context(record, self.words, q, self._site),
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
        consent: Mapping[str, JsonValue],
        patient: BlankPatient | None = None,
        part: bool = False,
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
        template = self.env.get_template("pdf/blank.html")
        if part:  # only the body, for a packet in several languages (tpi_forms.pdf.bilingual)
            return "".join(template.blocks["content"](template.new_context(context)))
        return template.render(context)

    def render_blank(
        self,
        procedure: PlannedProcedure | None = None,
        clinic: Clinic | None = None,
        locale: str = "en",
        *,
        consent: Mapping[str, JsonValue] | None = None,
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
        html = self.blank_html(procedure, clinic, locale, consent, patient)
        with self._lock:
            return render_pdf(
                html,
                stylesheets=self.stylesheets,
                variant=self.settings.variant,
                styles=self.styles,
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
