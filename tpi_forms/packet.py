"""Signed consent packets and blank paper packets, rendered to PDF/A-3 from Jinja2 templates.

A packet prints a `ConsentRecord` for people (summary, readable answers, the consent as shown,
signatures, audit trail) and embeds the same record as ``record.json`` for machines. The
record's SHA-256 is printed on the audit page; the record never holds the PDF, so there is no
circularity. `render_packet` adds a ``packet_generated`` event to the audit trail first.

>>> from tpi_forms.packet import render_packet  # doctest: +SKIP
>>> pdf = render_packet(record)  # doctest: +SKIP

A clinic configures a `PacketRenderer` (its own template folders first, its own stylesheet) and
calls ``renderer.render(record)``; `render_packets` renders many records over a process pool.
"""

from __future__ import annotations

import base64
import datetime as dt
import multiprocessing
import os
import tomllib
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2

from ._resources import make_environment
from .clinic import Clinic, clinic_to_dict, sample_clinic
from .errors import TpiFormsError
from .i18n import format_date, format_datetime, format_list, to_zone
from .pdf import DEFAULT_VARIANT, Attachment, PdfMetadata, render_pdf
from .procedure import PlannedProcedure
from .questionnaire import Question, Questionnaire, load_questionnaire
from .record import RECORD_ATTACHMENT, AuditEvent, ConsentRecord, record_hash

MAX_ANSWER_CHARS = 5000
"""Longest single answer a packet prints, in characters."""
MAX_RECORD_BYTES = 8 * 1024 * 1024
"""Largest record a packet embeds, in bytes of canonical JSON."""
BLANK_ROLES = ("patient", "legal_representative", "practitioner", "witness", "interpreter")


class PacketError(TpiFormsError):
    """A packet cannot be made from this input (the message never repeats patient text)."""


@dataclass(frozen=True)
class PacketSettings:
    """How packets are rendered; a clinic changes templates, stylesheets or the PDF/A level."""

    template_dirs: tuple[str, ...] = ()
    """Folders searched before the shipped templates (``pdf/packet.html`` overrides ours)."""
    stylesheets: tuple[str, ...] = ("pdf/packet.css",)
    """Stylesheets, as paths inside the static folder."""
    variant: str = DEFAULT_VARIANT
    """PDF/A level: ``pdf/a-3u`` (default), ``pdf/a-3b`` or ``pdf/a-3a``."""
    questionnaire_path: str | None = None
    """Questionnaire definition whose labels print the answers; None: the shipped one."""


def _load_text(env: jinja2.Environment, locale: str) -> dict[str, str]:
    assert env.loader is not None
    source, _, _ = env.loader.get_source(env, "pdf/packet_text.toml")
    table = tomllib.loads(source)
    language = locale.split("_")[0].split("-")[0]
    if language not in table:
        raise PacketError(f"packets have no text in language '{locale}'")
    text: dict[str, str] = table[language]
    return text


class PacketRenderer:
    """Renders packets with one configuration; build once, render many.

    >>> settings = PacketSettings(template_dirs=("clinic_templates",))
    >>> renderer = PacketRenderer(settings)  # doctest: +SKIP
    """

    def __init__(self, settings: PacketSettings | None = None) -> None:
        self.settings = settings or PacketSettings()
        self.env = make_environment(self.settings.template_dirs)
        path = self.settings.questionnaire_path
        self.questionnaire: Questionnaire = load_questionnaire(path)

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
        digest = record_hash(final)
        html = self.html(final, digest)
        t = _load_text(self.env, final.locale)
        created = final.audit[-1].at
        return render_pdf(
            html,
            stylesheets=self.settings.stylesheets,
            variant=self.settings.variant,
            attachments=[
                Attachment(RECORD_ATTACHMENT, data, f"Consent record, SHA-256 {digest}", "Data")
            ],
            metadata=PdfMetadata(
                title=t["packet_title"],
                lang=final.locale,
                author=str(final.clinic.get("name", "")),
                subject=f"{t['consent_version']} {final.consent_version}; "
                f"{t['record_hash']} {digest}",
                keywords=("consent", "trigger point injection", f"sha256:{digest}"),
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
        t = _load_text(self.env, locale)
        q = self.questionnaire
        tz = str(record.clinic.get("time_zone", "UTC"))
        name, dob = patient_identity(record.answers, q, locale)
        procedure = record.procedure
        findings = []
        for f in record.screening.get("findings", ()):
            because = [self._label(qid, locale) for qid in (f.get("triggers") or {})]
            findings.append(
                {
                    "severity": f.get("severity", ""),
                    "lines": [
                        x for x in (f.get("patient_message"), f.get("clinician_rationale")) if x
                    ],
                    "because": format_list(because, locale) if because else "",
                    "source": f.get("source", ""),
                }
            )
        status = str(record.screening.get("status", ""))
        signers = [
            {
                "printed_name": s.printed_name,
                "role": t.get(f"role_{s.role}", s.role),
                "relationship": s.relationship,
                "language": s.language,
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
        events = [
            {
                "at": to_zone(e.at, tz).isoformat(sep=" ", timespec="seconds"),
                "event": e.event,
                "detail": "; ".join(f"{k}={v}" for k, v in e.detail.items())
                + (f" [{e.device_id}]" if e.device_id and e.device_id != record.device_id else ""),
            }
            for e in record.audit
        ]
        return {
            "t": t,
            "locale": locale,
            "title": t["packet_title"],
            "facility": record.clinic.get("name", ""),
            "header_patient": name,
            "header_dob": dob,
            "patient_name": name,
            "patient_dob": dob,
            "consent_version": record.consent_version,
            "consent_hash": record.consent_hash,
            "consent": record.consent,
            "procedure_name": t["procedure_name"],
            "sites": format_list(
                [self._site(s, locale) for s in procedure.get("sites", ())], locale
            )
            if procedure.get("sites")
            else t["not_answered"],
            "local_anesthetic": _medicine_name(
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

    def _label(self, question_id: str, locale: str) -> str:
        question = self.questionnaire.questions.get(question_id)
        return question.label.get(locale) if question else question_id

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
        consent: Mapping[str, Any] | None,
    ) -> str:
        """A paper packet: every question with boxes and lines, the consent, empty signatures."""
        t = _load_text(self.env, locale)
        q = self.questionnaire
        sections = []
        for section in q.sections:
            questions = [_blank_question(question, locale) for question in section.questions]
            sections.append(
                {
                    "title": section.title.get(locale),
                    "intro": section.intro.get(locale) if section.intro else None,
                    "questions": questions,
                }
            )
        roles = [
            {
                "id": role,
                "title": t[f"role_{role}"],
                "meaning": _signer_meaning(consent, role) if consent else None,
            }
            for role in BLANK_ROLES
        ]
        context = {
            "t": t,
            "locale": locale,
            "title": t["blank_title"],
            "facility": clinic.name,
            "header_patient": "",
            "header_dob": "",
            "consent_version": (consent or {}).get("version", ""),
            "consent_hash": (consent or {}).get("content_hash", ""),
            "consent": consent,
            "intro": q.intro.get(locale) if q.intro else None,
            "sections": sections,
            "roles": roles,
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
    ) -> bytes:
        """A blank packet as PDF/A-3 bytes (no record is embedded: nothing was signed)."""
        procedure = procedure or PlannedProcedure()
        clinic = clinic or sample_clinic()
        if consent is None:
            consent = assemble_consent(procedure, clinic, locale)
        t = _load_text(self.env, locale)
        return render_pdf(
            self.blank_html(procedure, clinic, locale, consent),
            stylesheets=self.settings.stylesheets,
            variant=self.settings.variant,
            metadata=PdfMetadata(
                title=t["blank_title"], lang=locale, author=clinic.name, created=created
            ),
        )


def assemble_consent(
    procedure: PlannedProcedure,
    clinic: Clinic,
    locale: str,
    *,
    answers: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """``build_consent(procedure, clinic, locale, answers=answers).to_dict()``."""
    from .consent import build_consent

    document = build_consent(procedure, clinic, locale, answers=answers)
    data: dict[str, Any] = document.to_dict()
    return data


def _signer_meaning(consent: Mapping[str, Any], role: str) -> str | None:
    for signer in consent.get("signer_roles", ()) or ():
        if isinstance(signer, Mapping) and signer.get("id") == role:
            meaning = signer.get("meaning")
            return str(meaning) if meaning else None
    return None


def _medicine_name(consent: Mapping[str, Any], medicine: str) -> str:
    medicines = consent.get("medicines")
    if isinstance(medicines, Mapping) and isinstance(medicines.get(medicine), Mapping):
        return str(medicines[medicine].get("name", medicine))
    if isinstance(medicines, Sequence):
        for m in medicines:
            if isinstance(m, Mapping) and m.get("id") == medicine and m.get("name"):
                return str(m["name"])
    return medicine


def _blank_question(question: Question, locale: str) -> dict[str, Any]:
    kind = question.type
    numbers: list[int] = []
    if kind == "integer" and question.min is not None and question.max is not None:
        if question.max - question.min <= 10:
            kind, numbers = "scale", list(range(question.min, question.max + 1))
    elif kind == "string":
        kind = "line"
    elif kind == "date":
        kind = "short"
    return {
        "label": question.label.get(locale),
        "help": question.help.get(locale) if question.help else None,
        "kind": kind,
        "choices": [c.label.get(locale) for c in question.choices],
        "numbers": numbers,
    }


def patient_identity(answers: Mapping[str, Any], q: Questionnaire, locale: str) -> tuple[str, str]:
    """The patient's name and date of birth as printed: the personal string and date answers."""
    name = dob = ""
    for question in q.questions.values():
        if not question.personal or question.id not in answers:
            continue
        if question.type == "string" and not name:
            name = str(answers[question.id])
        elif question.type == "date" and not dob:
            dob = _format_answer(question, answers[question.id], locale, {})
    return name, dob


def readable_answers(
    answers: Mapping[str, Any], q: Questionnaire, locale: str, t: Mapping[str, str]
) -> list[dict[str, Any]]:
    """Answers grouped by section, each as the question's label and the answer in words."""
    sections = []
    for section in q.sections:
        rows = [
            {
                "label": question.label.get(locale),
                "answer": _format_answer(question, answers[question.id], locale, t),
            }
            for question in section.questions
            if question.id in answers
        ]
        if rows:
            sections.append({"title": section.title.get(locale), "rows": rows})
    unknown = [k for k in answers if k not in q.questions]
    if unknown:
        sections.append(
            {"title": "—", "rows": [{"label": k, "answer": str(answers[k])} for k in unknown]}
        )
    return sections


def _format_answer(question: Question, value: Any, locale: str, t: Mapping[str, str]) -> str:
    if value is None:
        return t.get("not_answered", "")
    if question.type == "boolean":
        return t.get("yes", "yes") if value else t.get("no", "no")
    if question.type == "choice":
        return _choice(question, str(value), locale)
    if question.type == "multichoice":
        return format_list([_choice(question, str(v), locale) for v in value], locale)
    if question.type == "date":
        try:
            return format_date(dt.date.fromisoformat(str(value)), locale)
        except ValueError:
            return str(value)
    return str(value)


def _choice(question: Question, choice: str, locale: str) -> str:
    try:
        return question.choice_label(choice, locale)
    except KeyError:
        return choice


# -- one-call API and batches -------------------------------------------------------------------

_WORKER_RENDERER: PacketRenderer | None = None


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
    renderer: PacketRenderer | None = None,
) -> bytes:
    """Render a blank paper packet: questionnaire with tick boxes, consent, empty signatures."""
    return (renderer or _default_renderer()).render_blank(procedure, clinic, locale)


def _default_renderer() -> PacketRenderer:
    global _WORKER_RENDERER
    if _WORKER_RENDERER is None:
        _WORKER_RENDERER = PacketRenderer()
    return _WORKER_RENDERER


def _init_worker(settings: PacketSettings) -> None:
    global _WORKER_RENDERER
    _WORKER_RENDERER = PacketRenderer(settings)


def _render_one(record_json: bytes) -> bytes:
    return _default_renderer().render(ConsentRecord.from_json(record_json))


def render_packets(
    records: Iterable[ConsentRecord],
    *,
    workers: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    settings: PacketSettings | None = None,
) -> list[bytes]:
    """Render many packets, in input order, over ``workers`` processes (default: all cores).

    ``progress(done, total)`` is called in this process after each packet. With one worker the
    packets render in this process.
    """
    items = [r.to_json() for r in records]
    total = len(items)
    workers = workers or os.cpu_count() or 1
    settings = settings or PacketSettings()
    results: list[bytes | None] = [None] * total
    if workers == 1 or total <= 1:
        renderer = PacketRenderer(settings)
        for i, item in enumerate(items):
            results[i] = renderer.render(ConsentRecord.from_json(item))
            if progress:
                progress(i + 1, total)
        return [r for r in results if r is not None]
    context: multiprocessing.context.BaseContext
    if "forkserver" in multiprocessing.get_all_start_methods():
        # Workers fork from a server that imported WeasyPrint once; never from this process,
        # whose threads and open libraries a plain fork would copy.
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload([__name__])
    else:
        context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(
        max_workers=min(workers, total),
        mp_context=context,
        initializer=_init_worker,
        initargs=(settings,),
    ) as pool:
        futures = {pool.submit(_render_one, item): i for i, item in enumerate(items)}
        for done, future in enumerate(as_completed(futures), start=1):
            results[futures[future]] = future.result()
            if progress:
                progress(done, total)
    return [r for r in results if r is not None]


def build_record(
    answers: Mapping[str, Any],
    signatures: Sequence[Any],
    *,
    procedure: PlannedProcedure | None = None,
    clinic: Clinic | None = None,
    locale: str = "en",
    audit: Sequence[AuditEvent] = (),
    device_id: str | None = None,
    created_at: dt.datetime | None = None,
    questionnaire: Questionnaire | None = None,
    consent: Mapping[str, Any] | None = None,
) -> ConsentRecord:
    """Screen ``answers``, assemble the consent, and make the record the packet will print."""
    from .screening import screen

    q = questionnaire or load_questionnaire()
    procedure = procedure or PlannedProcedure()
    clinic = clinic or sample_clinic()
    created = created_at or dt.datetime.now(dt.UTC)
    result = screen(answers, procedure, questionnaire=q, locale=locale, today=created.date())
    from .answers import validate_answers

    valid = validate_answers(answers, q, today=created.date(), locale=locale)
    if consent is None:
        consent = assemble_consent(procedure, clinic, locale, answers=valid)
    screening = result.to_dict()
    return ConsentRecord(
        questionnaire_id=q.id,
        questionnaire_version=q.version,
        locale=locale,
        answers=valid,
        procedure=screening["procedure"],
        screening=screening,
        consent=consent,
        clinic=clinic_to_dict(clinic),
        signatures=tuple(signatures),
        audit=tuple(audit),
        created_at=created,
        device_id=device_id,
    )


def write_atomically(path: str | Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file, so no half-written file is left."""
    target = Path(path)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
