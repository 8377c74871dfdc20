"""Options of ``tpi-forms kiosk serve`` about what the patient's tablet shows."""

from __future__ import annotations

import argparse
from typing import Any


def add_patient_arguments(parser: argparse.ArgumentParser) -> None:
    """Self check-in, the consent's layout and the understanding check."""
    parser.add_argument(
        "--no-self-checkin", action="store_true", help="only staff may start a check-in"
    )
    parser.add_argument(
        "--consent-layout",
        choices=("paged", "single"),
        default="paged",
        help="paged: one consent section a screen, risks acknowledged by group, then the "
        "understanding check (default); single: the whole consent on one page, a tick a risk",
    )
    parser.add_argument(
        "--no-consent-quiz",
        action="store_true",
        help="do not ask the understanding check (teach-back quiz) after the paged consent",
    )


def patient_settings(args: argparse.Namespace) -> dict[str, Any]:
    """The `tpi_forms.kiosk.config.KioskConfig` fields these options set."""
    return {
        "self_checkin": not args.no_self_checkin,
        "consent_layout": args.consent_layout,
        "consent_quiz": not args.no_consent_quiz,
    }
