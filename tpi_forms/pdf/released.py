"""Signed packets as a released version drew them, so a packet is checked against its own pages.

`verify` re-renders a packet's embedded record and compares every page. A packet made by an
earlier release must be compared with what that release drew, not with today's templates,
stylesheets and words. Each release's packet templates, stylesheets and words are kept as data
in ``templates/released/packet-<version>/`` (copied from that release; never edit them), and
`ReleasedPacketRenderer` renders a record with them through today's `render_pdf`. Its page
text and drawing are the release's byte for byte under the WeasyPrint and fonts that made the
packet (``tests/test_released_renderer.py`` re-renders packets 0.1.0 made).

The packet names its release in the PDF Creator: 0.1.0 wrote ``tpi_forms`` alone, later
versions ``tpi_forms <version>`` (`release_of`). A forger gains nothing by naming an old release:
the pages must then be exactly what that release draws from the record, and a record the
release could not have made (a newer record format, a clinician's decision, a certification,
a signer field it did not know) is refused with `PacketError`, so no part a newer version
prints can be left off by claiming an older one.

>>> release_of("tpi_forms")
'0.1.0'
>>> release_of("tpi_forms 0.2.0") is None
True
"""

from __future__ import annotations

import base64
import datetime as dt
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2

from .._resources import static_folder, templates_folder
from ..definitions.questionnaire import Questionnaire
from ..definitions.released import load_released_questionnaire
from ..definitions.words import WordSet, load_words, placeholders_of
from ..errors import PacketError
from ..i18n import format_datetime, format_list, to_zone
from ..json_types import JsonValue
from ..record.model import RECORD_ATTACHMENT, RECORD_FORMAT, AuditEvent, ConsentRecord, record_hash
from ..screening.engine import finding_reasons
from .audit import _ID, DOER, EventWords, done_by, humanise, value_words
from .heading import _header_name, _logo_view, _record_logo, _titles
from .packet import MAX_ANSWER_CHARS, MAX_RECORD_BYTES
from .printed import medicine_name, patient_identity, readable_answers, signer_roles
from .render import AssetFetcher, Attachment, PdfMetadata, render_pdf
from .streams import PYDYF_LEVEL

__all__ = ["RELEASES", "Release", "ReleasedPacketRenderer", "release_of"]


@dataclass(frozen=True)
class Release:
    """What a released version's packets were drawn with, besides its kept files."""

    version: str
    """The tpi_forms version (``0.1.0``)."""
    creator: str
    """The PDF Creator its packets carry."""
    variant: str
    """Its default PDF/A level."""
    questionnaire_version: str
    """The version of the shipped questionnaire whose labels printed the answers."""
    signer_fields: tuple[str, ...]
    """The signature fields a signer role could ask for then."""
    compress_level: int
    """The zlib level its streams were compressed at (`tpi_forms.pdf.streams`)."""

    @property
    def folder(self) -> Path:
        """``templates/released/packet-<version>/``: templates, stylesheets and words."""
        return templates_folder() / "released" / f"packet-{self.version}"


RELEASES = (
    Release(
        version="0.1.0",
        creator="tpi_forms",
        variant="pdf/a-3u",
        questionnaire_version="1.0.0",
        signer_fields=("relationship", "language"),
        compress_level=PYDYF_LEVEL,
    ),
)
"""Every release whose packets verify with its own renderer, oldest first."""


def release_of(creator: str) -> str | None:
    """The released version whose packets carry the PDF Creator ``creator``, or None."""
    for release in RELEASES:
        if creator == release.creator:
            return release.version
    return None


class ReleasedPacketRenderer:
    """Renders signed packets as release ``version`` did (a `tpi_forms.verify.pages.PageRenderer`).

    :param page_size: ``letter`` or ``a4``, the paper the packet was printed on.
    :param questionnaire: the questionnaire whose labels print the answers (default: the
        release's shipped one).
    :raises PacketError: no such release is kept.
    """

    def __init__(
        self,
        version: str = "0.1.0",
        *,
        page_size: str = "letter",
        questionnaire: Questionnaire | None = None,
    ) -> None:
        found = [r for r in RELEASES if r.version == version]
        if not found:
            known = ", ".join(r.version for r in RELEASES)
            raise PacketError(f"no released packet renderer '{version[:40]}' (kept: {known})")
        self.release = found[0]
        if page_size not in ("letter", "a4"):
            raise PacketError(f"unknown page size '{page_size[:20]}' (expected letter or a4)")
        self.page_size = page_size
        folder = self.release.folder
        self.env = jinja2.Environment(  # the release's templates only, never today's
            loader=jinja2.FileSystemLoader(str(folder)),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.words: WordSet = load_words("packet", folder)
        self.questionnaire = questionnaire or load_released_questionnaire(
            self.release.questionnaire_version
        )

    @property
    def stylesheets(self) -> tuple[str, ...]:
        """The release's stylesheets, as paths from the static folder (as `render_pdf` takes)."""
        relative = os.path.relpath(self.release.folder / "pdf", static_folder())
        return tuple(
            Path(relative, name).as_posix() for name in (f"page-{self.page_size}.css", "packet.css")
        )

    def render(self, record: ConsentRecord, *, generated_at: dt.datetime | None = None) -> bytes:
        """The packet the release made of ``record`` at ``generated_at``, as PDF bytes.

        :raises PacketError: the release could not have made this record, or it is too large.
        """
        self._check_release(record)
        at = generated_at or dt.datetime.now(dt.UTC)
        final = record.with_events(
            [AuditEvent(at=at, event="packet_generated", device_id=record.device_id)]
        )
        data = final.to_json()
        if len(data) > MAX_RECORD_BYTES:
            raise PacketError(f"the record is larger than {MAX_RECORD_BYTES // (1024 * 1024)} MiB")
        digest = record_hash(final)
        html = self.html(final, digest)
        t = self.words.words(final.locale)
        titles = _titles(t, final.consent)
        keywords = ("consent", str(final.consent.get("procedure", "")), f"sha256:{digest}")
        return render_pdf(
            html,
            stylesheets=self.stylesheets,
            variant=self.release.variant,
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
                created=at,
                modified=at,
                generator=self.release.creator,
            ),
            fetcher=AssetFetcher(self.release.folder / "pdf"),  # its stylesheets only
            compress_level=self.release.compress_level,
        )

    def html(self, record: ConsentRecord, digest: str) -> str:
        """The packet as the release's HTML, ``digest`` printed on the audit page."""
        for key, value in record.answers.items():
            for text in value if isinstance(value, tuple) else (value,):
                if isinstance(text, str) and len(text) > MAX_ANSWER_CHARS:
                    raise PacketError(
                        f"answer '{key}' is longer than {MAX_ANSWER_CHARS} characters"
                    )
        context = self._context(record, digest)
        return self.env.get_template("pdf/packet.html").render(context)

    def _check_release(self, record: ConsentRecord) -> None:
        """Refuse what the release could not have written: it would not print it either."""
        version = self.release.version
        if record.review is not None:
            raise PacketError(f"{version} made no records with a clinician's decision")
        if record.certification is not None:
            raise PacketError(f"{version} made no records with the patient's certification")
        if record.format != RECORD_FORMAT:
            raise PacketError(f"{version} wrote records of format '{RECORD_FORMAT}' only")
        for role in signer_roles(record.consent):  # a signature has the fields of its role
            for field in role["fields"]:
                if field["id"] not in self.release.signer_fields:
                    raise PacketError(f"{version} had no signer field '{field['id'][:40]}'")

    def _context(self, record: ConsentRecord, digest: str) -> dict[str, Any]:
        """The context the release's ``pdf/packet.html`` reads (``PacketRenderer._context`` of
        that release, over today's helpers where they print the same)."""
        locale = record.locale
        t = self.words.words(locale)
        titles = _titles(t, record.consent)
        q = self.questionnaire
        tz = str(record.clinic.get("time_zone", "UTC"))
        name, dob = patient_identity(record.answers, q, locale)
        procedure = record.procedure
        findings = [
            {
                "severity": f.get("severity", ""),
                "lines": [x for x in (f.get("patient_message"), f.get("clinician_rationale")) if x],
                "because": finding_reasons(f, q, locale),
                "source": f.get("source", ""),
            }
            for f in _findings(record)
        ]
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
            worded = _describe_event(e.event, e.detail, t, record.consent, other_device)
            at = to_zone(e.at, tz).isoformat(sep=" ", timespec="seconds")
            events.append({"at": at, "event": worded.what, "detail": worded.detail})
        planned = procedure.get("sites", ())
        sites = [self._site(str(s), locale) for s in _array(planned)]
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
            "sites": format_list(sites, locale) if sites else t["not_answered"],
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


def _describe_event(
    event: str,
    detail: Mapping[str, str | int],
    t: Mapping[str, str],
    consent: Mapping[str, Any],
    device: str | None,
) -> EventWords:
    """An audit event as 0.1.0 worded it (`describe_event` of that release: its words name no
    ``{by_name}``, and a ``group`` detail, before risk groups, printed as recorded)."""
    phrase = t.get(f"events.{event}")
    named = (placeholders_of(phrase) or set()) if phrase is not None else set()
    locale = str(consent.get("locale") or "en")
    if phrase is None:
        what = humanise(event)
    else:
        what = phrase.format(
            **{key: _value_words(key, detail.get(key), t, consent, locale) for key in named}
        )
    if "by_name" in detail and "by_name" not in named:
        what = done_by(what, detail, t)
        named |= set(DOER)
    parts = [
        f"{t.get(f'details.{key}') or humanise(key)}: "
        + _value_words(key, value, t, consent, locale)
        for key, value in detail.items()
        if key not in named
    ]
    if device:
        parts.append(f"{t['details.device']}: {device}")
    return EventWords(what, "; ".join(parts))


def _value_words(
    key: str, value: str | int | None, t: Mapping[str, str], consent: Mapping[str, Any], locale: str
) -> str:
    if key == "group" and value is not None:
        text = str(value)
        listed = t.get(f"values.group.{text.strip().lower().replace(' ', '_')}")
        if listed is not None:
            return listed
        return humanise(text) if _ID.fullmatch(text) else text
    return value_words(key, value, t, consent, locale)


def _array(value: JsonValue) -> tuple[JsonValue, ...] | list[JsonValue]:
    """A record's JSON array (a tuple once the record froze it); `PacketError` for another value."""
    if not isinstance(value, tuple | list):
        raise PacketError("the record holds another value where the release drew a list")
    return value


def _findings(record: ConsentRecord) -> list[Mapping[str, JsonValue]]:
    """The screening's findings as the record stores them (the release read them by key)."""
    listed = _array(record.screening.get("findings", ()))
    found = [f for f in listed if isinstance(f, Mapping)]
    if len(found) != len(listed):
        raise PacketError("the record's screening findings are not all objects")
    return found
