"""The consent definition: sections, risks, medicines and signer roles, read from data files.

Like the questionnaire, a consent is a TOML file of structure (``tpi_consent.toml``) plus one
TOML file of text per language (``tpi_consent.en.toml``, ``tpi_consent.es.toml``). Conditions
(``when``, ``highlight_when``) read the planned procedure, whose sites and local anaesthetics are
those of the questionnaire the consent names, so both documents use one site vocabulary.
"""

from __future__ import annotations

import functools
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any, Protocol

from .._resources import definition_folder
from .._toml import Node, read_toml, unique_ids
from .conditions import Condition, Operand, parse_condition
from .questionnaire import Questionnaire, load_questionnaire
from .texts import Text, TextCatalog, locale_files

DEFAULT_CONSENT = "tpi_consent"
FREQUENCIES = ("common", "uncommon", "rare")
MEDICINE_KINDS = ("local_anesthetic", "corticosteroid", "botulinum_toxin")
SIGNER_FIELDS = ("relationship", "language", "interpreter_id")
"""Extra fields a signer role may ask for; each is a field of every signature
(``tpi_forms.record.model.Signature``)."""
PLACEHOLDERS = (
    "facility",
    "phone",
    "performer",
    "discussed_by",
    "sites",
    "local_anesthetic",
    "corticosteroid",
    "diagnosis",
    "after_hours_phone",
    "paper_copy",
)
PLACEHOLDER_LABELS = {
    "diagnosis": ("diagnosis_default",),
    "paper_copy": ("paper_copy_free", "paper_copy_fee"),
}
"""Labels a definition needs when its text uses the placeholder: the default reason for the
shot, and the sentences for a free or a charged paper copy (the clinic's setting picks one)."""
OPTIONAL_LABELS = ("diagnosis_default", "paper_copy_free", "paper_copy_fee")
"""Labels only some definitions have (consent 0.1.0 has none of them)."""
LABELS = (
    "facility",
    "phone",
    "performer",
    "discussed_by",
    "procedure",
    "sites",
    "sites_not_given",
    "medicines",
    "risks",
    "frequency",
    "what_to_do",
    "highlighted",
    "signatures",
    "printed_name",
    "signed_at",
    "signature",
    "optional",
    "version",
    "content_hash",
)


@dataclass(frozen=True)
class MedicineDef:
    """A medicine the consent can name."""

    id: str
    """A local anaesthetic id of the questionnaire's plan, or ``corticosteroid``."""
    kind: str
    """``local_anesthetic`` or ``corticosteroid``."""
    name: Text
    purpose: Text
    """What it does, in plain words."""


@dataclass(frozen=True)
class SectionDef:
    """A titled block of the consent's body; paragraphs separated by blank lines."""

    id: str
    title: Text
    body: Text
    """May hold placeholders such as ``{sites}`` (see `PLACEHOLDERS`)."""
    when: Condition | None
    """Shown only for plans where this holds."""


@dataclass(frozen=True)
class RiskGroupDef:
    """A heading under which risks are listed (common or mild, rare but serious, steroid)."""

    id: str
    title: Text
    when: Condition | None


@dataclass(frozen=True)
class RiskDef:
    """A material risk of the procedure."""

    id: str
    group: str
    frequency: str
    """``common``, ``uncommon`` or ``rare``; shown as a word, never a percentage."""
    name: Text
    description: Text
    what_to_do: Text
    source: str
    """The guideline, review or case reports the risk rests on."""
    when: Condition | None
    """Listed only for plans where this holds (steroid risks)."""
    highlight_when: Condition | None
    """Marked as mattering more for plans where this holds (collapsed lung near the chest)."""
    highlight: Text | None
    """Why it is marked; present exactly when ``highlight_when`` is."""


@dataclass(frozen=True)
class SignerRoleDef:
    """Someone who signs, and what the signature means (21 CFR 11.50)."""

    id: str
    title: Text
    meaning: Text
    required: bool
    """Whether the consent is incomplete without this signature (or its alternative's)."""
    alternative_to: str | None
    """Signs instead of this role (a legal representative instead of the patient)."""
    fields: tuple[tuple[str, Text], ...]
    """Extra fields this signer fills in (``relationship``, ``language``) and their labels."""


class SignerRoleLike(Protocol):
    """What `consenting_roles` reads of a signer role (definition, document or record)."""

    @property
    def id(self) -> str: ...
    @property
    def required(self) -> bool: ...
    @property
    def alternative_to(self) -> str | None: ...


def consenting_roles(roles: Sequence[SignerRoleLike]) -> tuple[str, ...]:
    """Ids of the roles of which one must sign every record: the person consenting.

    That is the first required role that signs for themselves (``patient`` in the shipped
    consent), then the roles that may sign in its place (``alternative_to`` it). Empty when no
    role is required.

    >>> [r.id for r in load_consent_definition().signers][:2]
    ['patient', 'legal_representative']
    >>> consenting_roles(load_consent_definition().signers)
    ('patient', 'legal_representative')
    """
    main = next((r.id for r in roles if r.required and r.alternative_to is None), None)
    if main is None:
        return ()
    return (main, *(r.id for r in roles if r.alternative_to == main))


@dataclass(frozen=True)
class ConsentDefinition:
    """A consent definition, complete in every language it ships."""

    id: str
    version: str
    """Definition version; cited with the content hash in every signed record."""
    procedure: str
    """Id of the procedure consented to."""
    questionnaire: Questionnaire
    """The questionnaire whose sites and local anaesthetics the plan names."""
    locales: tuple[str, ...]
    title: Text
    intro: Text
    notice: Text
    """Says the default content is a template the clinic's clinicians must review."""
    labels: Mapping[str, Text]
    frequencies: Mapping[str, Text]
    medicines: Mapping[str, MedicineDef]
    sections: tuple[SectionDef, ...]
    risk_groups: tuple[RiskGroupDef, ...]
    risks: tuple[RiskDef, ...]
    signers: tuple[SignerRoleDef, ...]
    """Who signs, in order; the first required one is the person consenting (`consenting_roles`)."""


def load_consent_definition(
    path: str | Path | None = None, questionnaire: Questionnaire | None = None
) -> ConsentDefinition:
    """Load a consent definition; the shipped default when ``path`` is None.

    ``questionnaire`` gives the site vocabulary (default: the shipped questionnaire).
    """
    if path is None and questionnaire is None:
        return _default_definition()
    q = questionnaire or load_questionnaire()
    if path is None:
        folder: Any = definition_folder()
        return _load(
            read_toml(folder / f"{DEFAULT_CONSENT}.toml"), locale_files(folder, DEFAULT_CONSENT), q
        )
    path = Path(path)
    stem = path.name.removesuffix(".toml")
    return _load(read_toml(path), locale_files(path.parent, stem), q)


@functools.cache
def _default_definition() -> ConsentDefinition:
    folder = definition_folder()
    return _load(
        read_toml(folder / f"{DEFAULT_CONSENT}.toml"),
        locale_files(folder, DEFAULT_CONSENT),
        load_questionnaire(),
    )


def plan_operands(questionnaire: Questionnaire) -> dict[str, Operand]:
    """What consent conditions may compare: the plan fields with the questionnaire's ids, and
    ``trainees`` (the clinic's setting: students or clinicians in training may take part)."""
    return {
        "sites": Operand("multichoice", tuple(c.id for c in questionnaire.plan.sites)),
        "local_anesthetic": Operand("choice", questionnaire.plan.local_anesthetics),
        "corticosteroid": Operand("boolean"),
        "botulinum_toxin": Operand("boolean"),
        "trainees": Operand("boolean"),
    }


def _load(root: Node, text_files: Mapping[str, Any], q: Questionnaire) -> ConsentDefinition:
    root.check_keys(
        [
            "id",
            "version",
            "procedure",
            "questionnaire",
            "medicines",
            "sections",
            "risk_groups",
            "risks",
            "signers",
        ]
    )
    texts = TextCatalog.from_entries(root.file, text_files)
    if root.str("questionnaire") != q.id:
        root.fail(
            f"names questionnaire '{root.str('questionnaire')}' but was loaded with '{q.id}'",
            "questionnaire",
        )
    for locale in texts.locales:
        if locale not in q.locales:
            root.fail(f"has text in '{locale}' but questionnaire '{q.id}' has none (site names)")
    operands = plan_operands(q)

    medicines = _medicines(root, texts, q)
    section_nodes = root.tables("sections")
    unique_ids(((n, n.str("id")) for n in section_nodes), "section")
    sections = tuple(_section(n, texts, operands) for n in section_nodes)

    group_nodes = root.tables("risk_groups")
    unique_ids(((n, n.str("id")) for n in group_nodes), "risk group")
    groups = tuple(_risk_group(n, texts, operands) for n in group_nodes)
    risk_nodes = root.tables("risks")
    unique_ids(((n, n.str("id")) for n in risk_nodes), "risk")
    group_ids = [g.id for g in groups]
    risks = tuple(_risk(n, texts, operands, group_ids) for n in risk_nodes)

    signer_nodes = root.tables("signers")
    unique_ids(((n, n.str("id")) for n in signer_nodes), "signer")
    signer_ids = [n.str("id") for n in signer_nodes]
    signers = tuple(_signer(n, texts, signer_ids) for n in signer_nodes)
    _check_signers(root, signer_nodes, signers)
    for rule in q.rules:  # a rule's required signer is a role of this consent
        if rule.required_signer is not None and rule.required_signer not in signer_ids:
            root.fail(
                f"questionnaire rule '{rule.id}' asks for signer '{rule.required_signer}',"
                " which is not one of the signers",
                "signers",
            )

    result = ConsentDefinition(
        id=root.str("id"),
        version=root.str("version"),
        procedure=root.str("procedure"),
        questionnaire=q,
        locales=texts.locales,
        title=texts.text("title"),
        intro=texts.text("intro"),
        notice=texts.text("notice"),
        labels=MappingProxyType(_labels(texts)),
        frequencies=MappingProxyType({key: texts.text("frequencies", key) for key in FREQUENCIES}),
        medicines=MappingProxyType(medicines),
        sections=sections,
        risk_groups=groups,
        risks=risks,
        signers=signers,
    )
    texts.check_all_used()
    return result


def _labels(texts: TextCatalog) -> dict[str, Text]:
    labels = {key: texts.text("labels", key) for key in LABELS}
    for key in OPTIONAL_LABELS:
        found = texts.opt_text("labels", key)
        if found is not None:
            labels[key] = found
    return labels


def _medicines(root: Node, texts: TextCatalog, q: Questionnaire) -> dict[str, MedicineDef]:
    nodes = root.tables("medicines")
    unique_ids(((n, n.str("id")) for n in nodes), "medicine")
    found: dict[str, MedicineDef] = {}
    for n in nodes:
        n.check_keys(["id", "kind"])
        mid, kind = n.str("id"), n.str("kind")
        if kind not in MEDICINE_KINDS:
            n.fail(f"unknown kind '{kind}' (expected one of: {', '.join(MEDICINE_KINDS)})", "kind")
        if kind == "local_anesthetic" and mid not in q.plan.local_anesthetics:
            n.fail(f"'{mid}' is not a local anaesthetic of questionnaire '{q.id}'", "id")
        found[mid] = MedicineDef(
            mid, kind, texts.text("medicines", mid, "name"), texts.text("medicines", mid, "purpose")
        )
    for anesthetic in q.plan.local_anesthetics:
        if anesthetic not in found:
            root.fail(f"no medicine entry for local anaesthetic '{anesthetic}'", "medicines")
    steroids = [m for m in found.values() if m.kind == "corticosteroid"]
    if len(steroids) != 1:
        root.fail("needs exactly one medicine of kind 'corticosteroid'", "medicines")
    if len([m for m in found.values() if m.kind == "botulinum_toxin"]) > 1:
        root.fail("has more than one medicine of kind 'botulinum_toxin'", "medicines")
    return found


def _condition(n: Node, key: str, operands: Mapping[str, Operand]) -> Condition | None:
    if key not in n:
        return None
    return parse_condition(n.data[key], n, key, {}, operands)


def _section(n: Node, texts: TextCatalog, operands: Mapping[str, Operand]) -> SectionDef:
    n.check_keys(["id", "when"])
    sid = n.str("id")
    body = texts.text("sections", sid, "body")
    for locale, value in body.by_locale.items():
        _check_placeholders(value, texts, locale, ("sections", sid, "body"))
    return SectionDef(
        sid, texts.text("sections", sid, "title"), body, _condition(n, "when", operands)
    )


def _check_placeholders(value: str, texts: TextCatalog, locale: str, keys: tuple[str, ...]) -> None:
    node = texts.files[locale]
    try:
        parsed = list(string.Formatter().parse(value))
    except ValueError as exc:
        node.fail(f"bad placeholder: {exc}", ".".join(keys))
    for _, name, spec, conversion in parsed:
        if name is None:
            continue
        if name not in PLACEHOLDERS or spec or conversion:
            node.fail(
                f"unknown placeholder '{{{name}}}' (known: {', '.join(PLACEHOLDERS)})",
                ".".join(keys),
            )
        for label in PLACEHOLDER_LABELS.get(name, ()):
            if texts.opt_text("labels", label) is None:
                node.fail(f"'{{{name}}}' needs the text 'labels.{label}'", ".".join(keys))


def _risk_group(n: Node, texts: TextCatalog, operands: Mapping[str, Operand]) -> RiskGroupDef:
    n.check_keys(["id", "when"])
    gid = n.str("id")
    return RiskGroupDef(
        gid, texts.text("risk_groups", gid, "title"), _condition(n, "when", operands)
    )


def _risk(
    n: Node, texts: TextCatalog, operands: Mapping[str, Operand], groups: list[str]
) -> RiskDef:
    n.check_keys(["id", "group", "frequency", "source", "when", "highlight_when"])
    rid = n.str("id")
    group = n.str("group")
    if group not in groups:
        n.fail(f"unknown risk group '{group}' (known: {', '.join(groups)})", "group")
    frequency = n.str("frequency")
    if frequency not in FREQUENCIES:
        n.fail(
            f"unknown frequency '{frequency}' (expected one of: {', '.join(FREQUENCIES)})",
            "frequency",
        )
    highlight_when = _condition(n, "highlight_when", operands)
    highlight = texts.opt_text("risks", rid, "highlight")
    if (highlight is None) != (highlight_when is None):
        if highlight is None:
            texts.text("risks", rid, "highlight")  # raises: names the text file and key
        n.fail("has 'highlight' text but no 'highlight_when' condition")
    name = texts.text("risks", rid, "name")
    description = texts.text("risks", rid, "description")
    for key, text in (("name", name), ("description", description)):
        for locale, value in text.by_locale.items():
            if "%" in value or "％" in value:
                texts.files[locale].fail(
                    "say how often in words (common, uncommon, rare), not as a percentage",
                    f"risks.{rid}.{key}",
                )
    return RiskDef(
        id=rid,
        group=group,
        frequency=frequency,
        name=name,
        description=description,
        what_to_do=texts.text("risks", rid, "what_to_do"),
        source=n.str("source"),
        when=_condition(n, "when", operands),
        highlight_when=highlight_when,
        highlight=highlight,
    )


def _signer(n: Node, texts: TextCatalog, signer_ids: list[str]) -> SignerRoleDef:
    n.check_keys(["id", "required", "alternative_to", "fields"])
    sid = n.str("id")
    alternative_to = n.opt_str("alternative_to")
    if alternative_to is not None and (alternative_to not in signer_ids or alternative_to == sid):
        n.fail(f"unknown signer '{alternative_to}'", "alternative_to")
    fields = tuple(n.str_list("fields"))
    for field in fields:
        if field not in SIGNER_FIELDS:
            n.fail(
                f"unknown field '{field}' (expected one of: {', '.join(SIGNER_FIELDS)})", "fields"
            )
    return SignerRoleDef(
        id=sid,
        title=texts.text("signers", sid, "title"),
        meaning=texts.text("signers", sid, "meaning"),
        required=n.bool("required", False),
        alternative_to=alternative_to,
        fields=tuple((f, texts.text("signers", sid, "fields", f)) for f in fields),
    )


def _check_signers(root: Node, nodes: list[Node], signers: tuple[SignerRoleDef, ...]) -> None:
    """One required signer signs for themselves; an alternative signs for a role, not for one."""
    if not consenting_roles(signers):
        root.fail(
            "needs a required signer without 'alternative_to' (the person consenting)", "signers"
        )
    by_id = {s.id: s for s in signers}
    for node, signer in zip(nodes, signers, strict=True):
        target = by_id.get(signer.alternative_to or "")
        if target is not None and target.alternative_to is not None:
            node.fail(
                f"'{target.id}' signs in place of '{target.alternative_to}' itself; name that one",
                "alternative_to",
            )
