"""Signers a screening asks for: a rule's ``required_signer`` must sign when its finding is there.

A questionnaire rule may name a consent signer role that must sign whenever the rule fires
(the shipped ``under_18`` rule names ``legal_representative``); its findings carry that role.
The person consenting may then not sign alone: the required role must sign too. The patient may
still sign besides the representative (their assent): a record with both signatures is kept.

`required_signers` reads the roles from screening findings; `required_signer_problem` is the
check `build_record`, the signing pages and `verify` share, so the three cannot drift.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..screening.engine import Finding

if TYPE_CHECKING:
    from .model import Signature


def required_signers(findings: Iterable[Finding | Mapping[str, object]]) -> tuple[str, ...]:
    """The signer roles that ``findings`` (`Finding` objects or their dicts) ask for, in order.

    >>> from tpi_forms.screening.engine import screen
    >>> from tpi_forms.screening.scenarios import example_answers
    >>> import datetime as dt
    >>> answers = {**example_answers("clear"), "date_of_birth": "2012-05-01"}
    >>> required_signers(screen(answers, today=dt.date(2026, 11, 24)).findings)
    ('legal_representative',)
    """
    roles: dict[str, None] = {}
    for finding in findings:
        role = (
            finding.get("required_signer")
            if isinstance(finding, Mapping)
            else finding.required_signer
        )
        if isinstance(role, str) and role:
            roles[role] = None
    return tuple(roles)


def screening_findings(screening: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The findings of a screening result's dict (a record's ``screening``); [] when malformed."""
    findings = screening.get("findings")
    if not isinstance(findings, Sequence) or isinstance(findings, str):
        return []
    return [f for f in findings if isinstance(f, Mapping)]


def role_titles(consent: Mapping[str, Any]) -> dict[str, str]:
    """The consent's signer role titles by role id (a record's ``consent`` dict)."""
    raw = consent.get("signer_roles")
    titles: dict[str, str] = {}
    if isinstance(raw, Sequence) and not isinstance(raw, str):
        for item in raw:
            if isinstance(item, Mapping) and isinstance(item.get("id"), str):
                titles[item["id"]] = str(item.get("title") or item["id"])
    return titles


def required_signer_problem(
    required: Sequence[str], signatures: Sequence[Signature], consent: Mapping[str, Any]
) -> str | None:
    """Why the signatures lack a role the screening asks for, or None when each one signed.

    ``required`` are role ids (`required_signers`); ``consent`` the record's consent dict.
    """
    titles = role_titles(consent)
    signed = {s.role for s in signatures}
    for role in required:
        if role not in titles:
            return f"the screening asks for signer role '{role}', which the consent does not have"
        if role not in signed:
            return (
                f"the screening's answers ask for the signature of the {titles[role]},"
                " and the record has none"
            )
    return None
