"""The consent in a packet's record against its hash and the consent definition it cites."""

from __future__ import annotations

from typing import Any

from ..definitions.clinic import Clinic
from ..errors import TpiFormsError
from ..record.model import ConsentRecord


def consent_check(record: ConsentRecord, definition: Any | None) -> tuple[str, bool, str]:
    from ..consent.document import build_consent, consent_hash_of

    stored = record.consent_hash
    if consent_hash_of(record.consent) != stored:
        return ("consent_hash", False, "the consent text in the record does not match its hash")
    from ..definitions.consent import load_consent_definition

    definition = definition or load_consent_definition()
    version = record.consent_version
    cited = f"{record.consent.get('definition_id', '')} {version}".strip()[:120]
    if (getattr(definition, "id", None), getattr(definition, "version", None)) != (
        record.consent.get("definition_id"),
        version,
    ):
        return (
            "consent_hash",
            True,
            f"matches its text; definition {cited} is not available to rebuild it",
        )
    try:
        rebuilt = build_consent(
            _procedure(record),
            Clinic.from_dict(record.clinic),
            record.locale,
            performer=record.consent["performer"]["id"],
            discussed_by=record.consent["discussed_by"]["id"],
            definition=definition,
        )
    except (TpiFormsError, KeyError, TypeError) as exc:
        return (
            "consent_hash",
            False,
            f"the consent cannot be rebuilt from definition {cited} ({type(exc).__name__})",
        )
    if rebuilt.content_hash != stored:
        return (
            "consent_hash",
            False,
            f"differs from the consent definition {cited} rebuilt for this plan",
        )
    return (
        "consent_hash",
        True,
        f"equals the consent definition {cited} rebuilt for this plan and clinic",
    )


def _procedure(record: ConsentRecord) -> Any:
    from ..screening.procedure import PlannedProcedure

    plan = record.consent["plan"]
    return PlannedProcedure(
        sites=tuple(plan["sites"]) or None,
        local_anesthetic=plan["local_anesthetic"],
        corticosteroid=bool(plan["corticosteroid"]),
    )
