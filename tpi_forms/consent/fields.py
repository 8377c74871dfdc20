"""The names of the consent form's fields, in one place for the page templates and the parser.

`tpi_forms.consent.signing` reads a posted form by these names; `tpi_forms.web.html` gives the
templates `NAMES` (as ``names``), so ``templates/consent_fragment.html`` and
``templates/partials/signer.html`` write the same names instead of spelling them again.
Element ids are the names too, so an error keyed by a name sits next to its field.

>>> NAMES.risk("bruising"), NAMES.signer("patient").printed_name
('risk-bruising', 'patient-printed_name')
"""

from __future__ import annotations

from dataclasses import dataclass

CONSENT_HASH = "consent_hash"
"""Hidden: the content hash of the consent shown, so a consent changed meanwhile is refused."""
ESIGN_CONSENT = "esign_consent"
"""Checkbox: the signer agrees to sign electronically (ESIGN §7001(c))."""
REVIEW_PARTS = ("seconds", "sections", "reached_end", "script")
"""Hidden fields the page script fills with evidence of review (``review-seconds`` …)."""
SUMMARY_SECTION = "summary"
"""Id of the consent text's opening block (facility, procedure, sites, medicines)."""
RISKS_SECTION = "risks"
"""Id of the consent text's list of risks."""
METHODS = ("drawn", "typed")
"""Values of a signature block's ``method`` radio buttons."""


@dataclass(frozen=True)
class SignerFields:
    """The names of one signature block's fields; each starts with the block's id."""

    block: str
    """The block's id: its main role's id (``patient``)."""

    def name(self, part: str) -> str:
        """``{block}-{part}``: every field and element id of the block."""
        return f"{self.block}-{part}"

    @property
    def fieldset(self) -> str:
        """Id of the block's fieldset."""
        return self.name("block")

    @property
    def signer(self) -> str:
        """Radio buttons: which role signs (the patient or the one signing in their place)."""
        return self.name("signer")

    def signer_option(self, role: str) -> str:
        """Id of the radio button of ``role``."""
        return self.name(f"signer-{role}")

    def extra(self, field: str) -> str:
        """A field the role asks for (``relationship``, ``language``)."""
        return self.name(field)

    @property
    def printed_name(self) -> str:
        """Text: the signer's printed name (also the typed signature)."""
        return self.name("printed_name")

    @property
    def method(self) -> str:
        """Radio buttons: ``drawn`` or ``typed``."""
        return self.name("method")

    def method_option(self, method: str) -> str:
        """Id of the radio button of ``method``."""
        return self.name(f"method-{method}")

    @property
    def pad(self) -> str:
        """Id of the drawing canvas (not posted; errors about the drawing sit there)."""
        return self.name("pad")

    @property
    def pad_help(self) -> str:
        """Id of the drawing's help line."""
        return self.name("pad-help")

    @property
    def png(self) -> str:
        """Hidden: the drawing as a PNG ``data:`` URL."""
        return self.name("png")

    @property
    def strokes(self) -> str:
        """Hidden: the drawing's pen strokes as JSON."""
        return self.name("strokes")

    @property
    def intent(self) -> str:
        """Checkbox: the signer means to sign."""
        return self.name("intent")


@dataclass(frozen=True)
class ConsentFieldNames:
    """Every name of the consent form; templates get the one instance, `NAMES`."""

    consent_hash: str = CONSENT_HASH
    """See `CONSENT_HASH`."""
    esign_consent: str = ESIGN_CONSENT
    """See `ESIGN_CONSENT`."""
    review_parts: tuple[str, ...] = REVIEW_PARTS
    """See `REVIEW_PARTS`."""

    def review(self, part: str) -> str:
        """A hidden review field: ``review-seconds``, ``review-sections`` …"""
        if part not in REVIEW_PARTS:
            raise KeyError(part)
        return f"review-{part}"

    def risk(self, risk_id: str) -> str:
        """The checkbox acknowledging risk ``risk_id``."""
        return f"risk-{risk_id}"

    def signer(self, block: str) -> SignerFields:
        """The fields of the signature block ``block``."""
        return SignerFields(block)


NAMES = ConsentFieldNames()
"""The consent form's names, as the parser reads them and the templates write them."""
