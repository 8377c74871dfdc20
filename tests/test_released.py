"""Released definition versions: a packet signed under 0.1.0 still verifies in full."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from packet_fixtures import reembed

from tpi_forms.consent.document import build_consent
from tpi_forms.definitions.consent import load_consent_definition
from tpi_forms.definitions.questionnaire import load_questionnaire
from tpi_forms.definitions.released import (
    consent_definition_for,
    definition_for_record,
    load_released_consent,
    load_released_questionnaire,
    released_versions,
)
from tpi_forms.errors import DefinitionError
from tpi_forms.screening.procedure import PlannedProcedure
from tpi_forms.verify.packet import verify_packet

FIXTURES = Path(__file__).parent / "fixtures"
# Rendered from the 0.1.0 definitions (consent 0.1.0, questionnaire 1.0.0) before 0.2.0 content
# changed anything: make_record("en"/"es", name="Alex Example") and render_packet. Synthetic
# patient; never regenerate these files, they stand for packets already signed.
PACKETS = ["packet-0.1.0.pdf", "packet-0.1.0.es.pdf"]


@pytest.mark.parametrize("name", PACKETS)
def test_a_0_1_0_packet_verifies_in_full_with_the_current_code(name: str) -> None:
    # Every check passes: the consent is rebuilt from its released definition, and the pages
    # are re-rendered by the renderer of the release the packet names (tpi_forms.pdf.released),
    # which draws them byte for byte as 0.1.0 did.
    result = verify_packet((FIXTURES / name).read_bytes())
    assert result.ok, result.failed()
    assert result.record is not None
    assert result.record.consent_version == "0.1.0"
    assert result.record.questionnaire_version == "1.0.0"
    consent = next(c for c in result.checks if c.name == "consent_hash")
    assert "rebuilt" in consent.detail and "0.1.0" in consent.detail
    pages = {c.name: c for c in result.checks if c.name in ("page_text", "page_drawing")}
    assert len(pages) == 2
    assert all("byte for byte" in c.detail for c in pages.values())


def test_the_shipped_versions_moved_on_from_the_released_ones() -> None:
    # The fixture proves something only when the current definitions differ from 0.1.0.
    assert load_consent_definition().version not in released_versions("tpi_consent")
    assert load_questionnaire().version not in released_versions("tpi_screening")
    assert released_versions("tpi_consent") == ("0.1.0",)
    assert released_versions("tpi_screening") == ("1.0.0",)


def test_a_changed_0_1_0_consent_text_fails_against_the_released_version() -> None:
    pdf = (FIXTURES / PACKETS[0]).read_bytes()

    def change(data: dict[str, object]) -> None:
        consent = data["consent"]
        assert isinstance(consent, dict)
        consent["title"] = "Consent (changed)"
        from tpi_forms.consent.document import consent_hash_of

        consent["content_hash"] = consent_hash_of(consent)

    result = verify_packet(reembed(pdf, change))
    consent = next(c for c in result.checks if c.name == "consent_hash")
    assert not consent.passed and "0.1.0" in consent.detail


def test_the_released_consent_is_built_with_its_own_questionnaire() -> None:
    old = load_released_consent("0.1.0")
    assert old.version == "0.1.0"
    assert old.questionnaire.version == "1.0.0"
    assert old.questionnaire is load_released_questionnaire("1.0.0")
    doc = build_consent(PlannedProcedure(sites=("neck",)), definition=old)
    assert doc.version == "0.1.0"
    assert "talked with you about this shot" in doc.section("questions").paragraphs[0]


def test_the_record_picks_the_version_it_cites() -> None:
    current = load_consent_definition()
    assert consent_definition_for("tpi_consent", current.version) is current
    assert consent_definition_for("tpi_consent", "0.1.0") is load_released_consent("0.1.0")
    assert consent_definition_for("tpi_consent", "9.9.9") is None
    assert consent_definition_for("other", "0.1.0") is None
    # A caller's own definition is the only one tried; without one, the shipped cited version.
    assert definition_for_record(current.id, current.version, current) is current
    assert definition_for_record("tpi_consent", "0.1.0") is load_released_consent("0.1.0")
    assert definition_for_record("tpi_consent", "0.1.0", current) is current
    assert definition_for_record("clinic_own", "1.0.0") is None
    assert definition_for_record(None, None) is None


def test_an_unknown_released_version_is_a_one_line_error() -> None:
    with pytest.raises(DefinitionError, match="no released version '7.0.0'") as info:
        load_released_consent("7.0.0")
    assert "\n" not in str(info.value)


def test_released_files_are_complete_for_every_locale() -> None:
    old = load_released_consent("0.1.0")
    assert old.locales == ("en", "es")
    data = json.dumps([dict(s.title.by_locale) for s in old.sections])
    assert "Signing on a screen" in data and "pantalla" in data
