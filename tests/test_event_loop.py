"""Sealing and verifying work the same when the caller runs an event loop (an async web app)."""

from __future__ import annotations

import asyncio

from seal_fixtures import make_pki

from tpi_forms.pdf.seal import seal_pdf
from tpi_forms.record.model import ConsentRecord
from tpi_forms.verify.packet import Verification, verify_packet


def test_a_packet_is_sealed_and_verified_from_inside_a_running_event_loop(
    signed_en: tuple[ConsentRecord, bytes],
) -> None:
    pki = make_pki("ec")

    async def handler() -> tuple[bytes, Verification]:
        asyncio.get_running_loop()  # as in a request handler of an async framework
        sealed = seal_pdf(signed_en[1], pki.clinic_key, pki.clinic_cert)
        return sealed, verify_packet(sealed, trust_roots=[pki.ca_cert])

    sealed, result = asyncio.run(handler())
    assert result.ok, result.failed()
    assert {c.name for c in result.checks} >= {"seal_intact", "seal_trusted"}
    assert verify_packet(sealed, trust_roots=[pki.ca_cert]).checks == result.checks
