"""Signer roles as a record's consent names them, and the check that the signatures fill them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..definitions.consent import SIGNER_FIELDS, consenting_roles
from ..errors import RecordError

if TYPE_CHECKING:
    from .model import Signature


@dataclass(frozen=True)
class SignerRole:
    """A signer role as the record's consent names it: what a signature in that role needs."""

    id: str
    """The role's id (``patient``, ``guardian`` …)."""
    required: bool
    """The consent is incomplete without it (or its alternative's) signature."""
    alternative_to: str | None
    """The role this one signs in place of."""
    fields: tuple[str, ...]
    """Extra fields a signature in this role must fill (``relationship``, ``language``)."""


def _signer_roles(consent: Mapping[str, Any]) -> dict[str, SignerRole]:
    """The consent's ``signer_roles`` by id; `RecordError` when they are malformed."""
    raw = consent.get("signer_roles")
    if not isinstance(raw, Sequence) or isinstance(raw, str) or not raw:
        raise RecordError("the record's consent names no signer roles")
    roles: dict[str, SignerRole] = {}
    try:
        for item in raw:
            fields = tuple(str(f["id"]) for f in item.get("fields", ()))
            alternative = item.get("alternative_to")
            role = SignerRole(
                str(item["id"]),
                bool(item["required"]),
                None if alternative is None else str(alternative),
                fields,
            )
            roles[role.id] = role
    except (KeyError, TypeError, AttributeError):
        raise RecordError("the record's consent has a malformed signer role") from None
    for role in roles.values():
        unknown = [f for f in role.fields if f not in SIGNER_FIELDS]
        if unknown:
            raise RecordError(
                f"signer role '{role.id}' of the record's consent asks for an unknown field"
                f" (known: {', '.join(SIGNER_FIELDS)})"
            )
    return roles


def _check_signers(signatures: Sequence[Signature], roles: Mapping[str, SignerRole]) -> None:
    """Every signature has a role of the consent and that role's fields; the consenter signed."""
    for signature in signatures:
        role = roles.get(signature.role)
        if role is None:
            raise RecordError(
                f"unknown signer role '{signature.role}' (the consent's roles: {', '.join(roles)})"
            )
        for name in SIGNER_FIELDS:
            value = getattr(signature, name)
            if name in role.fields and not (value and value.strip()):
                raise RecordError(f"the '{role.id}' signature needs its {name}")
            if name not in role.fields and value is not None:
                raise RecordError(f"the '{role.id}' signature has no {name} field")
    consenting = consenting_roles(tuple(roles.values()))
    if consenting and not any(s.role in consenting for s in signatures):
        raise RecordError(f"a consent record needs a signature of one of: {', '.join(consenting)}")
