"""The planned procedure: an input to screening and consent, next to the patient's answers."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import cast

from ..definitions.questionnaire import Questionnaire
from ..errors import ProcedureError
from ..json_types import Answer


@dataclass(frozen=True)
class PlannedProcedure:
    """What the clinician plans to do; the same answers can screen differently for two plans.

    >>> plan = PlannedProcedure(sites=("neck",), corticosteroid=True)
    >>> plan.sites, plan.local_anesthetic, plan.corticosteroid, plan.botulinum_toxin
    (('neck',), 'lidocaine', True, False)
    """

    sites: tuple[str, ...] | None = None
    """Injection sites (ids of the sites question's choices); None: the patient's pain sites."""
    local_anesthetic: str = "lidocaine"
    """The local anaesthetic the clinic will use."""
    corticosteroid: bool = False
    """Whether a corticosteroid is mixed in."""
    botulinum_toxin: bool = False
    """Whether botulinum toxin is injected (an optional plan a clinic offers; off-label)."""

    def check(self, questionnaire: Questionnaire) -> None:
        """Raise `ProcedureError` naming the first site or medicine the definition lacks."""
        known_sites = [c.id for c in questionnaire.plan.sites]
        for site in self.sites or ():
            if site not in known_sites:
                raise ProcedureError(
                    f"unknown site '{site}' (expected one of: {', '.join(known_sites)})"
                )
        if self.sites is not None and not self.sites:
            raise ProcedureError("a plan that names sites must name at least one")
        if self.local_anesthetic not in questionnaire.plan.local_anesthetics:
            known = ", ".join(questionnaire.plan.local_anesthetics)
            raise ProcedureError(
                f"unknown local anaesthetic '{self.local_anesthetic}' (expected one of: {known})"
            )

    def resolved_sites(
        self, answers: Mapping[str, Answer], questionnaire: Questionnaire
    ) -> tuple[str, ...]:
        """The planned sites, or the patient's answered pain sites when the plan names none."""
        if self.sites is not None:
            return self.sites
        answered = cast(Sequence[str], answers.get(questionnaire.plan.sites_question) or ())
        return tuple(answered)

    def as_values(
        self, answers: Mapping[str, Answer], questionnaire: Questionnaire
    ) -> dict[str, Answer]:
        """The plan as the values conditions compare (``plan = "sites"`` and so on)."""
        return {
            "sites": list(self.resolved_sites(answers, questionnaire)),
            "local_anesthetic": self.local_anesthetic,
            "corticosteroid": self.corticosteroid,
            "botulinum_toxin": self.botulinum_toxin,
        }
