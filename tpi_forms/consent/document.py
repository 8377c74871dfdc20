"""The informed-consent document assembled for one planned procedure, one clinic and one language.

`build_consent` picks the sections and risks that apply to the plan, fills in the facility,
practitioners, sites and medicines, and fixes the result with a SHA-256 content hash. The hash
is what signed records and PDFs cite; `consent_hash_of` recomputes it from the stored dict::

    >>> from tpi_forms.screening.procedure import PlannedProcedure
    >>> doc = build_consent(PlannedProcedure(sites=("neck", "upper_back"), corticosteroid=True))
    >>> "blood_sugar" in [risk.id for risk in doc.risks]
    True
    >>> consent_hash_of(doc.to_dict()) == doc.content_hash
    True
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from .._canonical import canonical_json
from .._canonical import nfc as _nfc
from ..definitions.clinic import Clinic, ClinicLogo, Practitioner, sample_clinic
from ..definitions.conditions import Condition, evaluate
from ..definitions.consent import ConsentDefinition, load_consent_definition
from ..errors import ConsentRecordError, UnknownLocaleError
from ..i18n import format_list
from ..screening.procedure import PlannedProcedure

FORMAT = "tpi_forms.consent.document/1"
"""Names the layout of `ConsentDocument.to_dict`; part of the hashed content."""


@dataclass(frozen=True)
class ConsentSection:
    """A titled block of the document, with its placeholders filled in."""

    id: str
    title: str
    paragraphs: tuple[str, ...]


@dataclass(frozen=True)
class ConsentRisk:
    """A material risk as shown to the patient."""

    id: str
    group: str
    """Id of the `ConsentRiskGroup` it is listed under."""
    name: str
    description: str
    frequency: str
    """How often, as a word in the document's language (``Common``, ``Rara``)."""
    frequency_id: str
    """``common``, ``uncommon`` or ``rare``."""
    what_to_do: str
    source: str
    """The guideline, review or case reports the risk rests on."""
    highlighted: bool
    """Whether it matters more for this plan (collapsed lung with sites near the chest)."""
    highlight: str | None
    """Why it is highlighted; None when it is not."""


@dataclass(frozen=True)
class ConsentRiskGroup:
    """A heading risks are listed under."""

    id: str
    title: str


@dataclass(frozen=True)
class ConsentMedicine:
    """A medicine the plan uses."""

    id: str
    kind: str
    """``local_anesthetic`` or ``corticosteroid``."""
    name: str
    purpose: str


@dataclass(frozen=True)
class ConsentSite:
    """An injection site of the plan, named in the document's language."""

    id: str
    label: str


@dataclass(frozen=True)
class SignerField:
    """An extra field a signer fills in, such as the relationship of a legal representative."""

    id: str
    label: str


@dataclass(frozen=True)
class ConsentSignerRole:
    """A signature block: who signs and what the signature means (21 CFR 11.50)."""

    id: str
    title: str
    meaning: str
    required: bool
    """The consent is incomplete without it (or without its alternative's signature)."""
    alternative_to: str | None
    """The role this one may sign instead of (legal representative for the patient)."""
    fields: tuple[SignerField, ...]


@dataclass(frozen=True)
class ConsentFacility:
    """The clinic as the document shows it."""

    name: str
    address: tuple[str, ...]
    phone: str
    time_zone: str
    """Zone in which signing times on this document are shown."""
    logo_file: str | None
    """File name of the logo, or None."""
    logo_sha256: str | None
    """SHA-256 of the logo's bytes, so the record proves which logo was printed; its bytes are
    the clinic's (`ConsentDocument.logo`, and ``Clinic.to_dict`` in the record)."""


@dataclass(frozen=True)
class ConsentPractitioner:
    """A practitioner as printed on the document."""

    id: str
    name: str
    credentials: str | None
    display_name: str


@dataclass(frozen=True)
class ConsentPlan:
    """The planned procedure the document was assembled for."""

    sites: tuple[str, ...]
    """Site ids; empty when the clinician marks the sites on paper."""
    local_anesthetic: str
    corticosteroid: bool


@dataclass(frozen=True)
class ConsentDocument:
    """A consent document for one plan, clinic and language; everything a renderer needs."""

    definition_id: str
    version: str
    """Version of the consent definition it was built from."""
    procedure: str
    locale: str
    plan: ConsentPlan
    title: str
    intro: str
    notice: str
    """Says the default content is a template for the clinic's clinicians to review."""
    facility: ConsentFacility
    performer: ConsentPractitioner
    """Who performs the procedure."""
    discussed_by: ConsentPractitioner
    """Who held the consent discussion."""
    sites: tuple[ConsentSite, ...]
    sites_text: str
    """The sites as one phrase in the document's language (or the words for 'marked on you')."""
    medicines: tuple[ConsentMedicine, ...]
    sections: tuple[ConsentSection, ...]
    risk_groups: tuple[ConsentRiskGroup, ...]
    risks: tuple[ConsentRisk, ...]
    signer_roles: tuple[ConsentSignerRole, ...]
    labels: Mapping[str, str]
    """Headings and field labels of the printed document (``printed_name``, ``signed_at`` ...)."""
    content_hash: str
    """SHA-256 (hex) of the canonical JSON of everything above; see `consent_hash_of`."""
    logo: ClinicLogo | None = field(default=None, compare=False, repr=False)
    """The logo image ``facility.logo_sha256`` names, for pages to show; not part of the
    content (the hash covers its SHA-256) nor of `to_dict`. None after `from_dict`."""

    def __post_init__(self) -> None:
        sha256 = None if self.logo is None else self.logo.sha256
        if self.logo is not None and sha256 != self.facility.logo_sha256:
            raise ConsentRecordError("the logo image is not the one the consent names")

    def to_dict(self) -> dict[str, Any]:
        """JSON-native data: version, hash and all the text needed to re-render the document."""
        data = _content_dict(self)
        data["content_hash"] = self.content_hash
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ConsentDocument:
        """Rebuild a document from `to_dict` output; `ConsentRecordError` if the hash differs."""
        stored = data.get("content_hash")
        computed = consent_hash_of(data)
        if stored != computed:
            raise ConsentRecordError("consent content hash does not match its content")
        try:
            return _from_content(_nfc(dict(data)), computed)
        except (KeyError, TypeError, ValueError) as exc:
            raise ConsentRecordError(f"malformed consent record: {exc!r}") from None

    def risk(self, risk_id: str) -> ConsentRisk:
        for risk in self.risks:
            if risk.id == risk_id:
                return risk
        raise KeyError(risk_id)

    def section(self, section_id: str) -> ConsentSection:
        for section in self.sections:
            if section.id == section_id:
                return section
        raise KeyError(section_id)

    def signer_role(self, role_id: str) -> ConsentSignerRole:
        for role in self.signer_roles:
            if role.id == role_id:
                return role
        raise KeyError(role_id)


def build_consent(
    procedure: PlannedProcedure,
    clinic: Clinic | None = None,
    locale: str | None = None,
    *,
    performer: str | None = None,
    discussed_by: str | None = None,
    answers: Mapping[str, Any] | None = None,
    definition: ConsentDefinition | None = None,
) -> ConsentDocument:
    """Assemble the consent for ``procedure`` at ``clinic`` (default: the fictitious sample clinic).

    :param locale: language of the document (default: the clinic's default locale).
    :param performer: id of the practitioner who performs it (default: the clinic's first).
    :param discussed_by: id of the practitioner who held the discussion (default: ``performer``).
    :param answers: the patient's answers, used for the sites when the plan names none.
    :param definition: a consent definition (default: the shipped one).
    """
    definition = definition or load_consent_definition()
    clinic = clinic or sample_clinic()
    locale = locale or clinic.default_locale
    if locale not in definition.locales:
        have = ", ".join(definition.locales)
        raise UnknownLocaleError(f"no consent text in locale '{locale}' (available: {have})")
    q = definition.questionnaire
    procedure.check(q)
    sites = procedure.resolved_sites(answers or {}, q)
    plan_values = {
        "sites": list(sites),
        "local_anesthetic": procedure.local_anesthetic,
        "corticosteroid": procedure.corticosteroid,
    }

    def holds(condition: Condition | None) -> bool:
        return condition is None or evaluate(condition, {}, plan_values, dt.date(2000, 1, 1))

    doer = _practitioner(clinic.practitioner(performer))
    talker = _practitioner(clinic.practitioner(discussed_by or performer))
    site_labels = tuple(ConsentSite(s, _site_label(definition, s, locale)) for s in sites)
    sites_text = (
        format_list([_in_sentence(s.label) for s in site_labels], locale)
        if site_labels
        else _in_sentence(definition.labels["sites_not_given"].get(locale))
    )
    anesthetic = definition.medicines[procedure.local_anesthetic]
    steroid = next(m for m in definition.medicines.values() if m.kind == "corticosteroid")
    used = [anesthetic, steroid] if procedure.corticosteroid else [anesthetic]
    medicines = tuple(
        ConsentMedicine(m.id, m.kind, m.name.get(locale), m.purpose.get(locale)) for m in used
    )
    fill = {
        "facility": clinic.name,
        "phone": clinic.phone,
        "performer": doer.display_name,
        "discussed_by": talker.display_name,
        "sites": sites_text,
        "local_anesthetic": anesthetic.name.get(locale),
        "corticosteroid": steroid.name.get(locale),
    }
    sections = tuple(
        ConsentSection(s.id, s.title.get(locale), _paragraphs(s.body.get(locale).format(**fill)))
        for s in definition.sections
        if holds(s.when)
    )
    groups = tuple(
        ConsentRiskGroup(g.id, g.title.get(locale)) for g in definition.risk_groups if holds(g.when)
    )
    group_ids = {g.id for g in groups}
    risks = []
    for r in definition.risks:
        if r.group not in group_ids or not holds(r.when):
            continue
        highlighted = r.highlight_when is not None and holds(r.highlight_when)
        risks.append(
            ConsentRisk(
                id=r.id,
                group=r.group,
                name=r.name.get(locale),
                description=r.description.get(locale),
                frequency=definition.frequencies[r.frequency].get(locale),
                frequency_id=r.frequency,
                what_to_do=r.what_to_do.get(locale),
                source=r.source,
                highlighted=highlighted,
                highlight=r.highlight.get(locale) if highlighted and r.highlight else None,
            )
        )
    roles = tuple(
        ConsentSignerRole(
            id=s.id,
            title=s.title.get(locale),
            meaning=s.meaning.get(locale),
            required=s.required,
            alternative_to=s.alternative_to,
            fields=tuple(SignerField(fid, label.get(locale)) for fid, label in s.fields),
        )
        for s in definition.signers
    )
    content: dict[str, Any] = {
        "definition_id": definition.id,
        "version": definition.version,
        "procedure": definition.procedure,
        "locale": locale,
        "plan": ConsentPlan(tuple(sites), procedure.local_anesthetic, procedure.corticosteroid),
        "title": definition.title.get(locale),
        "intro": definition.intro.get(locale),
        "notice": definition.notice.get(locale),
        "facility": ConsentFacility(
            clinic.name,
            clinic.address,
            clinic.phone,
            clinic.time_zone,
            None if clinic.logo is None else clinic.logo.file_name,
            clinic.logo_sha256(),
        ),
        "performer": doer,
        "discussed_by": talker,
        "sites": site_labels,
        "sites_text": sites_text,
        "medicines": medicines,
        "sections": sections,
        "risk_groups": groups,
        "risks": tuple(risks),
        "signer_roles": roles,
        "labels": MappingProxyType({k: v.get(locale) for k, v in definition.labels.items()}),
    }
    draft = ConsentDocument(**content, content_hash="")
    data = _content_dict(draft)
    return _from_content(_nfc(data), consent_hash_of(data), clinic.logo)


def consent_hash_of(data: Mapping[str, Any]) -> str:
    """SHA-256 (hex) of a consent dict's content, ignoring its ``content_hash`` key.

    The content is serialised as canonical JSON: every string NFC-normalised, keys sorted,
    ``ensure_ascii=False``, separators ``(",", ":")``, encoded as UTF-8.
    """
    content = {k: v for k, v in data.items() if k != "content_hash"}
    return hashlib.sha256(canonical_json(content).encode("utf-8")).hexdigest()


def _practitioner(p: Practitioner) -> ConsentPractitioner:
    return ConsentPractitioner(p.id, p.name, p.credentials, p.display_name)


def _site_label(definition: ConsentDefinition, site: str, locale: str) -> str:
    for choice in definition.questionnaire.plan.sites:
        if choice.id == site:
            return choice.label.get(locale)
    raise KeyError(site)  # procedure.check() admits only known sites


def _in_sentence(label: str) -> str:
    """A label as it reads inside a sentence: ``Upper back`` becomes ``upper back``."""
    if len(label) > 1 and label[1].isupper():  # an abbreviation such as ``TMJ``
        return label
    return label[:1].lower() + label[1:]


def _paragraphs(body: str) -> tuple[str, ...]:
    parts = (" ".join(p.split()) for p in body.strip().split("\n\n"))
    return tuple(p for p in parts if p)


def _content_dict(doc: ConsentDocument) -> dict[str, Any]:
    def plain(obj: Any) -> Any:
        if hasattr(obj, "__dataclass_fields__"):
            return {name: plain(getattr(obj, name)) for name in obj.__dataclass_fields__}
        if isinstance(obj, Mapping):
            return {k: plain(v) for k, v in obj.items()}
        if isinstance(obj, tuple | list):
            return [plain(v) for v in obj]
        return obj

    data = {
        name: plain(getattr(doc, name))
        for name in doc.__dataclass_fields__
        if name not in ("content_hash", "logo")
    }
    data["format"] = FORMAT
    return _nfc(data)  # type: ignore[no-any-return]


def _from_content(
    data: Mapping[str, Any], content_hash: str, logo: ClinicLogo | None = None
) -> ConsentDocument:
    if data.get("format") != FORMAT:
        raise ValueError(f"unknown consent format {data.get('format')!r}")
    plan = data["plan"]
    facility = data["facility"]
    return ConsentDocument(
        definition_id=data["definition_id"],
        version=data["version"],
        procedure=data["procedure"],
        locale=data["locale"],
        plan=ConsentPlan(tuple(plan["sites"]), plan["local_anesthetic"], plan["corticosteroid"]),
        title=data["title"],
        intro=data["intro"],
        notice=data["notice"],
        facility=ConsentFacility(
            facility["name"],
            tuple(facility["address"]),
            facility["phone"],
            facility["time_zone"],
            facility["logo_file"],
            facility["logo_sha256"],
        ),
        performer=ConsentPractitioner(**data["performer"]),
        discussed_by=ConsentPractitioner(**data["discussed_by"]),
        sites=tuple(ConsentSite(**s) for s in data["sites"]),
        sites_text=data["sites_text"],
        medicines=tuple(ConsentMedicine(**m) for m in data["medicines"]),
        sections=tuple(
            ConsentSection(s["id"], s["title"], tuple(s["paragraphs"])) for s in data["sections"]
        ),
        risk_groups=tuple(ConsentRiskGroup(**g) for g in data["risk_groups"]),
        risks=tuple(ConsentRisk(**r) for r in data["risks"]),
        signer_roles=tuple(
            ConsentSignerRole(
                id=s["id"],
                title=s["title"],
                meaning=s["meaning"],
                required=s["required"],
                alternative_to=s["alternative_to"],
                fields=tuple(SignerField(**f) for f in s["fields"]),
            )
            for s in data["signer_roles"]
        ),
        labels=MappingProxyType(dict(data["labels"])),
        content_hash=content_hash,
        logo=logo,
    )
