"""What the clinic's consent settings put into a consent: placeholders and optional plans."""

from __future__ import annotations

from ..definitions.clinic import Clinic
from ..definitions.consent import ConsentDefinition, MedicineDef
from ..errors import ProcedureError


def botulinum_toxin_medicine(definition: ConsentDefinition, clinic: Clinic) -> MedicineDef:
    """The definition's botulinum toxin, for a plan with it; `ProcedureError` when unavailable."""
    if not clinic.consent.botulinum_toxin:
        raise ProcedureError("the clinic does not offer botulinum toxin (its [consent] settings)")
    toxin = [m for m in definition.medicines.values() if m.kind == "botulinum_toxin"]
    if not toxin:
        raise ProcedureError(
            f"consent {definition.id} {definition.version} has no botulinum toxin text"
        )
    return toxin[0]


def clinic_fill(definition: ConsentDefinition, clinic: Clinic, locale: str) -> dict[str, str]:
    """The clinic settings' placeholders (a definition that uses one has its labels)."""
    labels = definition.labels
    settings = clinic.consent
    fill = {"after_hours_phone": settings.after_hours_phone or clinic.phone}
    default = labels.get("diagnosis_default")
    fill["diagnosis"] = settings.diagnosis_in(locale) or (default.get(locale) if default else "")
    copy = labels.get("paper_copy_fee" if settings.paper_copy_fee else "paper_copy_free")
    fill["paper_copy"] = copy.get(locale) if copy else ""
    return fill
