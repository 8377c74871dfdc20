"""What heads a packet's pages: its titles, the clinic's logo as printed, the patient's name in
the running header."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..definitions.clinic import ClinicLogo
from ..errors import ClinicError, PacketError
from ..record.model import ConsentRecord

HEADER_NAME_CHARS = 80
"""Longest patient name the running header prints; longer names end in "…" there (the summary
and the name field print them whole)."""
TITLE_PLACEHOLDERS = ("consent_title", "consent_id", "consent_version")
"""What a clinic's own packet title, blank title and footer notice may name."""
_TITLE_KEYS = ("packet_title", "blank_title", "template_notice")


def _titles(t: Mapping[str, str], consent: Mapping[str, Any]) -> dict[str, str]:
    """Title and footer of a packet, naming the consent's procedure, id and version."""
    values = {
        "consent_title": str(consent.get("title", "")),
        "consent_id": str(consent.get("definition_id", "")),
        "consent_version": str(consent.get("version", "")),
    }
    return {key: t[key].format(**values) for key in _TITLE_KEYS}


def _logo_view(logo: ClinicLogo | None, consent: Mapping[str, Any], alt: str) -> Any:
    """The logo as the templates print it, once it is checked to be the one the consent names."""
    facility = consent.get("facility")
    named = facility.get("logo_sha256") if isinstance(facility, Mapping) else None
    if (None if logo is None else logo.sha256) != named:
        raise PacketError("the clinic's logo is not the one the consent names")
    return None if logo is None else {"src": logo.data_uri(), "alt": alt}


def _record_logo(record: ConsentRecord) -> ClinicLogo | None:
    data = record.clinic.get("logo")
    if data is None:
        return None
    try:
        if not isinstance(data, Mapping):
            raise ClinicError("the clinic logo is not a JSON object")
        return ClinicLogo.from_dict(data)
    except (ClinicError, AttributeError) as exc:
        raise PacketError(f"the record's clinic logo cannot be printed: {exc}") from None


def _header_name(name: str) -> str:
    if len(name) <= HEADER_NAME_CHARS:
        return name
    return name[: HEADER_NAME_CHARS - 1] + "…"
