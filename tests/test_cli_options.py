"""Commands that take a planned procedure spell its options the same way."""

from __future__ import annotations

import pytest

from tpi_forms.cli import build_parser

COMMANDS = {
    "screen": ["answers.json"],
    "consent": [],
    "packet": ["answers.json", "--signature", "s.png", "--signer-name", "A", "-o", "p.pdf"],
    "blank": ["-o", "b.pdf"],
}


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("spelling", ["--anesthetic", "--local-anesthetic"])
def test_plan_options(command: str, spelling: str) -> None:
    args = build_parser().parse_args(
        [command, *COMMANDS[command], "--sites", "neck,arm", "--steroid", spelling, "bupivacaine"]
    )
    assert (args.sites, args.steroid, args.anesthetic) == ("neck,arm", True, "bupivacaine")


@pytest.mark.parametrize("command", ["consent", "packet", "blank"])
def test_clinic_options(command: str) -> None:
    args = build_parser().parse_args(
        [command, *COMMANDS[command], "--clinic", "c.toml", "--locale", "es"]
    )
    assert (str(args.clinic), args.locale) == ("c.toml", "es")
