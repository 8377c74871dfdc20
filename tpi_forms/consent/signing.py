"""Read a submitted consent review-and-sign form into signatures and evidence of review.

The page comes from `tpi_forms.web.html.render_consent_page`; its blocks are made here
(`signer_blocks`) and its field names in `tpi_forms.consent.fields`, which the templates use
too, so the page and the parser cannot drift. `parse_consent_submission` checks every
signature with `tpi_forms.consent.signature`, and returns `record.Signature` objects plus the audit
events a record keeps (time on the consent, sections viewed, risks acknowledged, who signed).
On any problem it raises `ConsentFormError`, whose ``errors`` map the id of the page element to
fix to messages in the document's language, ready to render back next to that element.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .._text import hidden_character, nfc
from ..definitions.ui_text import ui_locales, ui_text
from ..errors import ConsentFormError, SignatureError
from ..record.model import MAX_NAME, AuditEvent, Signature
from .document import ConsentDocument, ConsentSignerRole
from .fields import NAMES, RISKS_SECTION, SUMMARY_SECTION, SignerFields
from .signature import (
    DEFAULT_LIMITS,
    SignatureLimits,
    Stroke,
    validate_drawn_signature,
    validate_typed_signature,
)

MAX_REVIEW_SECONDS = 24 * 3600


@dataclass(frozen=True)
class SignerBlock:
    """One signature block of the page: a role, and the roles that may sign in its place."""

    id: str
    """The main role's id; prefix of the block's field names."""
    roles: tuple[ConsentSignerRole, ...]
    """The main role first, then its alternatives (a legal representative for the patient)."""
    required: bool
    """The consent is incomplete without a signature in this block."""
    must_sign: str | None = None
    """The role the answers ask for (a rule's ``required_signer``): the only role of the block,
    and the one a submission must sign as (a minor's legal representative)."""

    @property
    def fields(self) -> SignerFields:
        """The names of the block's fields."""
        return NAMES.signer(self.id)


@dataclass(frozen=True)
class ReviewEvidence:
    """What the page recorded about how the consent was read."""

    script_ran: bool
    """The page's script ran; without it nothing below could be measured."""
    seconds: int | None
    """Seconds the page was visible before it was sent; None when not measured."""
    sections_viewed: tuple[str, ...]
    """Ids of the consent sections seen on screen, in the order first seen."""
    reached_end: bool | None
    """The reader reached the end of the text; None when not measured."""


@dataclass(frozen=True)
class ConsentSubmission:
    """A valid consent submission."""

    consent_hash: str
    """Content hash of the consent document that was shown and signed."""
    signatures: tuple[Signature, ...]
    """Every signature given, in page order."""
    strokes: Mapping[str, tuple[Stroke, ...]]
    """The pen strokes of each drawn signature, by role."""
    acknowledged_risks: tuple[str, ...]
    """Ids of the risks the signer ticked as read."""
    review: ReviewEvidence
    """How the consent was read."""
    events: tuple[AuditEvent, ...]
    """Audit events to add to the record."""


def signer_blocks(
    document: ConsentDocument,
    roles: Sequence[str] | None = None,
    required_signers: Sequence[str] = (),
) -> tuple[SignerBlock, ...]:
    """The signature blocks of the page, in document order; ``roles`` picks main roles by id.

    A block holding a role of ``required_signers`` (`tpi_forms.record.required_signers`: the
    roles the screening's findings ask for) offers that role alone, and must be signed.
    """
    blocks = []
    for role in document.signer_roles:
        if role.alternative_to is not None:
            continue
        if roles is not None and role.id not in roles:
            continue
        alternatives = tuple(r for r in document.signer_roles if r.alternative_to == role.id)
        must = next((r for r in (role, *alternatives) if r.id in required_signers), None)
        if must is not None:
            blocks.append(SignerBlock(role.id, (must,), True, must.id))
        else:
            blocks.append(SignerBlock(role.id, (role, *alternatives), role.required))
    return tuple(blocks)


def _get(formdata: Mapping[str, Any], key: str) -> str:
    value = formdata.get(key)
    if isinstance(value, list | tuple):
        value = value[0] if value else None
    return value.strip() if isinstance(value, str) else ""


def _ticked(formdata: Mapping[str, Any], key: str) -> bool:
    return _get(formdata, key) not in ("", "0", "false", "no", "off")


def _review(document: ConsentDocument, formdata: Mapping[str, Any]) -> ReviewEvidence:
    if _get(formdata, NAMES.review("script")) != "1":
        return ReviewEvidence(False, None, (), None)
    raw_seconds = _get(formdata, NAMES.review("seconds"))
    seconds = int(raw_seconds) if raw_seconds.isascii() and raw_seconds.isdigit() else None
    if seconds is not None:
        seconds = min(seconds, MAX_REVIEW_SECONDS)
    known = {SUMMARY_SECTION, RISKS_SECTION, *(s.id for s in document.sections)}
    seen: dict[str, None] = {}
    for item in _get(formdata, NAMES.review("sections")).split():
        if item in known:
            seen[item] = None
    reached_end = _get(formdata, NAMES.review("reached_end")) == "1"
    return ReviewEvidence(True, seconds, tuple(seen), reached_end)


def parse_consent_submission(
    document: ConsentDocument,
    formdata: Mapping[str, object],
    *,
    roles: Sequence[str] | None = None,
    required_signers: Sequence[str] = (),
    now: dt.datetime | None = None,
    device_id: str | None = None,
    limits: SignatureLimits = DEFAULT_LIMITS,
) -> ConsentSubmission:
    """Check a posted consent form and return its signatures and evidence of review.

    ``formdata`` is the posted form (a ``MultiDict`` or a plain mapping); ``roles`` and
    ``required_signers`` must be those the page was rendered with (`signer_blocks`): a block
    the answers ask a role for refuses a signature in another role (a minor's alone).
    Raises `ConsentFormError` listing every problem.
    """
    ui = ui_text(document.locale if document.locale in ui_locales() else "en")
    now = now or dt.datetime.now(dt.UTC)
    errors: dict[str, list[str]] = {}

    def fail(key: str, message: str) -> None:
        errors.setdefault(key, []).append(message)

    if _get(formdata, NAMES.consent_hash) != document.content_hash:
        fail("", ui["errors.consent_changed"])
    review = _review(document, formdata)
    if review.script_ran and not review.reached_end:
        fail("", ui["errors.not_reviewed"])
    acknowledged = [r.id for r in document.risks if _ticked(formdata, NAMES.risk(r.id))]
    missing = [r.id for r in document.risks if r.id not in acknowledged]
    if missing:  # one message, at the first box left empty
        fail(NAMES.risk(missing[0]), ui["errors.risk_ack"])
    if not _ticked(formdata, NAMES.esign_consent):
        fail(NAMES.esign_consent, ui["errors.esign_consent"])

    signatures: list[Signature] = []
    strokes: dict[str, tuple[Stroke, ...]] = {}
    for block in signer_blocks(document, roles, required_signers):
        result = _signer(block, formdata, ui, now, limits, fail)
        if result is not None:
            signatures.append(result[0])
            if result[1]:
                strokes[result[0].role] = result[1]
    if errors:
        raise ConsentFormError(errors)

    events = [
        AuditEvent(
            now,
            "consent_time_on_page",
            {
                "seconds": review.seconds if review.seconds is not None else "not recorded",
                "reached_end": "not recorded"
                if review.reached_end is None
                else ("yes" if review.reached_end else "no"),
                "consent_hash": document.content_hash,
            },
            device_id,
        ),
        *(
            AuditEvent(now, "section_viewed", {"section": s}, device_id)
            for s in review.sections_viewed
        ),
        AuditEvent(
            now,
            "risks_acknowledged",
            {"count": len(acknowledged), "risks": " ".join(acknowledged)[:500]},
            device_id,
        ),
        AuditEvent(now, "esign_consent", {"given": "yes"}, device_id),
        *(
            AuditEvent(now, "signed", {"role": s.role, "method": s.method}, device_id)
            for s in signatures
        ),
    ]
    return ConsentSubmission(
        consent_hash=document.content_hash,
        signatures=tuple(signatures),
        strokes=strokes,
        acknowledged_risks=tuple(acknowledged),
        review=review,
        events=tuple(events),
    )


def _signer(
    block: SignerBlock,
    formdata: Mapping[str, Any],
    ui: Mapping[str, str],
    now: dt.datetime,
    limits: SignatureLimits,
    fail: Any,
) -> tuple[Signature, tuple[Stroke, ...]] | None:
    """One block's signature, or None when an optional block was left empty."""
    f = block.fields
    title = block.roles[0].title
    name = nfc(" ".join(_get(formdata, f.printed_name).split()))
    method = _get(formdata, f.method)
    png = _get(formdata, f.png)
    intent = _ticked(formdata, f.intent)
    if not block.required and not name and not png and not intent:
        return None
    chosen = None if block.must_sign is None else _get(formdata, f.signer)
    if chosen and chosen != block.must_sign:
        # a page without the requirement (signed as the patient): the message at the block
        fail(f.fieldset, ui["errors.required_signer"].format(title=title))
        return None
    problems = 0

    def problem(key: str, message: str) -> None:
        nonlocal problems
        problems += 1
        fail(key, f"{title}: {message}")

    role = block.roles[0]
    if len(block.roles) > 1:
        chosen = _get(formdata, f.signer)
        match = [r for r in block.roles if r.id == chosen]
        if not match:
            problem(f.signer_option(block.roles[0].id), ui["errors.signer_role"])
        else:
            role = match[0]
    extra: dict[str, str] = {}
    for extra_field in role.fields:
        value = nfc(" ".join(_get(formdata, f.extra(extra_field.id)).split()))
        if not value or len(value) > MAX_NAME:
            problem(f.extra(extra_field.id), ui["errors.signer_field"])
        elif hidden_character(value):
            problem(f.extra(extra_field.id), ui["errors.name_hidden"])
        extra[extra_field.id] = value
    if not name or len(name) > MAX_NAME:
        problem(f.printed_name, ui["errors.printed_name"])
    elif hidden_character(name):
        problem(f.printed_name, ui["errors.name_hidden"])
        name = ""  # one message for the name: the typed-signature check below skips it
    image: bytes | None = None
    drawn_strokes: tuple[Stroke, ...] = ()
    if method == "drawn":
        try:
            drawn = validate_drawn_signature(png, _get(formdata, f.strokes), limits)
            image, drawn_strokes = drawn.png, drawn.strokes
        except SignatureError as exc:
            key = (
                "errors.unreadable" if exc.code not in ("blank", "faint") else f"errors.{exc.code}"
            )
            problem(f.pad, ui[key])
        if not intent:
            problem(f.intent, ui["errors.typed_intent"])
    elif method == "typed":
        if name:
            try:
                validate_typed_signature(name, intent)
            except SignatureError as exc:
                target = f.intent if exc.code == "typed_intent" else f.printed_name
                problem(target, ui[f"errors.{exc.code}"])
        elif not intent:
            problem(f.intent, ui["errors.typed_intent"])
    else:
        problem(f.method_option("typed"), ui["errors.signature_required"])
    if problems:
        return None
    signature = Signature(
        role=role.id,
        printed_name=name,
        signed_at=now,
        meaning=role.meaning,
        method=method,
        image_png=image,
        relationship=extra.get("relationship"),
        language=extra.get("language"),
        intent_confirmed=intent,
    )
    return signature, drawn_strokes
