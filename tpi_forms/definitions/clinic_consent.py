"""A clinic's consent settings: what its consent says about its own practice.

They sit in the clinic file's ``[consent]`` table (every key optional)::

    [consent]
    after_hours_phone = "555-0101"
    trainees = true            # students or doctors in training may take part
    paper_copy_fee = false     # a paper copy is free
    botulinum_toxin = false    # the clinic offers botulinum toxin (off-label) as a plan
    diagnosis = { en = "Muscle pain in the neck and upper back", es = "Dolor muscular ..." }

A signed record keeps them with the clinic (`ClinicConsentSettings.to_dict`), so its consent can be
rebuilt later exactly as it was signed.

>>> ClinicConsentSettings().after_hours_phone is None
True
>>> ClinicConsentSettings.from_dict({"trainees": True}).trainees
True
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .._toml import Node
from ..errors import ClinicError

CONSENT_KEYS = ("after_hours_phone", "trainees", "paper_copy_fee", "diagnosis", "botulinum_toxin")
"""Keys of a clinic file's ``[consent]`` table."""
MAX_DIAGNOSIS = 200
"""Longest diagnosis or reason text, in characters."""


@dataclass(frozen=True)
class ClinicConsentSettings:
    """What the consent says about this clinic's practice."""

    after_hours_phone: str | None = None
    """Number patients call after hours; None: the consent names the clinic's phone."""
    trainees: bool = False
    """Whether students or clinicians in training may take part (the consent then says so)."""
    paper_copy_fee: bool = False
    """Whether a paper copy may cost something (the consent then says to ask), else it is free."""
    diagnosis: Mapping[str, str] | tuple[tuple[str, str], ...] = ()
    """The reason for the shot, per locale, when the clinic states one; else the consent's
    default wording. Given as a mapping, kept as sorted ``(locale, text)`` pairs (hashable, and
    picklable for the worker processes that render day packets)."""
    botulinum_toxin: bool = False
    """Whether the clinic offers botulinum toxin injections (an off-label, optional plan)."""

    def __post_init__(self) -> None:
        if self.after_hours_phone is not None and not self.after_hours_phone.strip():
            raise ClinicError("after-hours phone must not be empty (leave it out instead)")
        pairs = tuple(sorted(dict(self.diagnosis).items()))
        for locale, text in pairs:
            if not isinstance(text, str) or not text.strip() or len(text) > MAX_DIAGNOSIS:
                raise ClinicError(
                    f"diagnosis for '{locale}' must be 1 to {MAX_DIAGNOSIS} characters of text"
                )
        object.__setattr__(self, "diagnosis", pairs)

    def diagnosis_in(self, locale: str) -> str | None:
        """The clinic's reason for the shot in ``locale``, or None."""
        return dict(self.diagnosis).get(locale)

    def to_dict(self) -> dict[str, Any]:
        """JSON-native form, as a signed record keeps it."""
        return {
            "after_hours_phone": self.after_hours_phone,
            "trainees": self.trainees,
            "paper_copy_fee": self.paper_copy_fee,
            "diagnosis": dict(self.diagnosis),
            "botulinum_toxin": self.botulinum_toxin,
        }

    @classmethod
    def from_dict(cls, data: object) -> ClinicConsentSettings:
        """From `to_dict` output; None or missing keys (a record made before 0.2) give defaults."""
        if data is not None and not isinstance(data, Mapping):
            raise ClinicError("the clinic's consent settings are malformed (not a table)")
        data = data or {}
        try:
            return cls(
                after_hours_phone=data.get("after_hours_phone"),
                trainees=bool(data.get("trainees", False)),
                paper_copy_fee=bool(data.get("paper_copy_fee", False)),
                diagnosis=dict(data.get("diagnosis") or {}),
                botulinum_toxin=bool(data.get("botulinum_toxin", False)),
            )
        except (TypeError, ValueError, AttributeError) as exc:
            problem = f"the clinic's consent settings are malformed ({exc!r:.60})"
            raise ClinicError(problem) from None


def read_consent_settings(node: Node | None) -> ClinicConsentSettings:
    """The ``[consent]`` table of a clinic file (absent: the defaults)."""
    if node is None:
        return ClinicConsentSettings()
    node.check_keys(CONSENT_KEYS)
    diagnosis: dict[str, str] = {}
    table = node.opt_table("diagnosis")
    if table is not None:
        for locale, _ in table.items():
            diagnosis[locale] = table.str(locale)
    try:
        return ClinicConsentSettings(
            after_hours_phone=node.opt_str("after_hours_phone"),
            trainees=node.bool("trainees", False),
            paper_copy_fee=node.bool("paper_copy_fee", False),
            diagnosis=diagnosis,
            botulinum_toxin=node.bool("botulinum_toxin", False),
        )
    except ClinicError as exc:
        node.fail(str(exc))
