"""What a verification proves, in words a person reads (the ``verify`` word set).

>>> print(summary(verify_packet(pdf)))  # doctest: +SKIP
ok: every check passed
"""

from __future__ import annotations

from ..definitions.words import words
from .packet import Verification


def sealed(result: Verification) -> bool:
    """True when the packet carries a seal (trusted or not)."""
    return any(c.name.startswith("seal") and c.name.endswith("_intact") for c in result.checks)


def summary(result: Verification, locale: str = "en") -> str:
    """The last line of the report: every check passed, or how many failed, and the seal level."""
    t = words("verify", locale)
    line = (
        t["report.all_passed"]
        if result.ok
        else t["report.failed"].format(count=len(result.failed()))
    )
    if result.seal_level:
        line += f" ({t['report.seal_level'].format(level=result.seal_level)})"
    return line


def what_it_proves(result: Verification, locale: str = "en") -> str:
    """What the checks can and cannot prove for this packet: unsealed, sealed but not trusted,
    or sealed and trusted."""
    t = words("verify", locale)
    if not sealed(result):
        return t["report.unsealed"]
    if result.seal_level is None:
        return t["report.sealed_untrusted"]
    return t["report.sealed_trusted"]
