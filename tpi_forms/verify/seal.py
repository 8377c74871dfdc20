"""Validate a packet's PAdES seals with pyHanko and report the level each reaches (B-B to B-LTA).

Each level is checked, not read off the file's structure:

- **B-B**: the seal is intact, PAdES, covers the file (later updates may only add revocation data
  and document timestamps), and its certificate chains to a given root and is valid now, or
  was valid at the time its timestamp proves;
- **B-T**: its RFC 3161 timestamp matches the seal and its authority chains to a given root;
- **B-LT**: the document security store holds revocation data (OCSP, CRL) with which pyHanko
  validates the whole chain, offline, at the timestamp's time;
- **B-LTA**: document timestamps cover it, and pyHanko's long-term validation passes offline
  (see `tpi_forms.verify.long_term` for the ETSI EN 319 102-1 processes used).

With ``online``, today's revocation status is fetched through the addresses in the certificates:
a certificate revoked after the seal's timestamp keeps the seal valid, one revoked before fails.
A timestamp or revocation data that is present but does not validate is a failure, not a lower
level. Trust is never implied: chains count only when they reach a root the caller gives.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import io
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.validation import (
    DocumentSecurityStore,
    EmbeddedPdfSignature,
    SignatureCoverageLevel,
    async_validate_pdf_signature,
    async_validate_pdf_timestamp,
)
from pyhanko_certvalidator import ValidationContext

from ..errors import SealError
from ..pdf.pades import LEVELS
from ..pdf.seal import PADES_SUBFILTER, has_revocation_data, load_roots
from . import long_term
from .long_term import passed, problem, utc

CheckLine = tuple[str, bool, str]
UNTRUSTED = "give the clinic's seal certificate with --trust to check who sealed it"


@dataclass(frozen=True)
class SealReport:
    """What `validate_seals` found."""

    checks: tuple[CheckLine, ...]
    """``(name, passed, detail)`` for every check run, in order."""
    level: str | None
    """The lowest PAdES level the file's seals reach; None without a seal or trust roots."""


@contextlib.contextmanager
def _quiet_validation() -> Iterator[None]:
    """pyHanko logs a traceback for every chain it cannot build; the checks report it instead."""
    loggers = [logging.getLogger(n) for n in ("pyhanko", "pyhanko_certvalidator")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


def validate_seals(
    pdf_bytes: bytes,
    trust_roots: Sequence[bytes] | None,
    *,
    tsa_roots: Sequence[bytes] = (),
    online: bool = False,
    require_level: str | None = None,
) -> SealReport:
    """Checks for every seal in the file, and the PAdES level reached.

    :param trust_roots: roots the seal must chain to. Without them integrity is checked and
        the seal is reported "seal not trusted" (a failed check: anyone can make a self-signed
        seal); with them, a file without a seal fails (one was expected).
    :param tsa_roots: further roots accepted for time-stamping authorities (the seal's roots
        are accepted too).
    :param online: also fetch today's revocation status.
    :param require_level: fail unless every seal reaches at least this level.
    :raises SealError: a trust root or level that is not valid input.
    """
    roots = load_roots(trust_roots or ())
    stamp_roots = load_roots(tsa_roots, "time-stamping root") + roots
    if require_level is not None and require_level not in LEVELS:
        raise SealError(f"unknown seal level {require_level!r}; choose one of {', '.join(LEVELS)}")
    try:
        reader = PdfFileReader(io.BytesIO(pdf_bytes), strict=False)
        seals = reader.embedded_regular_signatures
    except Exception as exc:  # pyHanko raises many types on damaged files
        failed = f"the signature structure cannot be read ({type(exc).__name__})"
        return SealReport((("seal", False, failed),), None)
    if not seals:
        if trust_roots is None:
            return SealReport((), None)
        return SealReport((("seal", False, "no seal found, but trust roots were given"),), None)
    checks: list[CheckLine] = []
    levels: list[str | None] = []
    for number, seal in enumerate(seals, start=1):
        name = "seal" if len(seals) == 1 else f"seal_{number}"
        given = roots if trust_roots is not None else None
        try:
            with _quiet_validation():
                found, level = asyncio.run(_assess(seal, reader, name, given, stamp_roots, online))
        except Exception as exc:  # pyHanko raises many types on hostile input
            found = [(name, False, f"the seal cannot be validated ({type(exc).__name__})")]
            level = None
        checks.extend(found)
        levels.append(level)
    if trust_roots is None:
        return SealReport(tuple(checks), None)
    lowest = None if None in levels else min(levels, key=lambda lv: LEVELS.index(str(lv)))
    reached = lowest is not None and (
        require_level is None or LEVELS.index(lowest) >= LEVELS.index(require_level)
    )
    wanted = f"; at least {require_level} was required" if require_level else ""
    found_level = f"PAdES {lowest} reached" if lowest else "no PAdES level reached"
    checks.append(("seal_level", reached, found_level + wanted))
    return SealReport(tuple(checks), lowest)


def _who(cert: Any) -> str:
    try:
        return str(cert.subject.native.get("common_name") or cert.subject.human_friendly)[:120]
    except (AttributeError, ValueError):
        return "an unnamed authority"


async def _assess(
    seal: EmbeddedPdfSignature,
    reader: PdfFileReader,
    name: str,
    roots: list[Any] | None,
    stamp_roots: list[Any],
    online: bool,
) -> tuple[list[CheckLine], str | None]:
    """The checks on one seal, and the level it reaches (None when not even B-B)."""
    stamp_context = ValidationContext(trust_roots=stamp_roots, allow_fetching=False)
    status = await async_validate_pdf_signature(
        seal, ValidationContext(trust_roots=roots or [], allow_fetching=False), stamp_context
    )
    checks = [(f"{name}_intact", *_integrity(seal, status))]
    if roots is None:
        who = _who(status.signing_cert)
        checks.append((f"{name}_trusted", False, f"seal not trusted: signed by {who}; {UNTRUSTED}"))
        return checks, None
    sealed_ok = checks[0][1]
    stamp = status.timestamp_validity
    stamp_sound = stamp is not None and bool(stamp.intact and stamp.valid)
    stamp_time = stamp.timestamp if stamp is not None and stamp_sound else None
    archive = [
        s for s in reader.embedded_timestamp_signatures if s.signed_revision > seal.signed_revision
    ]
    lta = await long_term.archival(seal, roots, stamp_roots, archive) if archive else None

    trusted_now, trusted_then = bool(status.trusted), False
    if not trusted_now and stamp_time is not None and stamp is not None and stamp.trusted:
        then = ValidationContext(trust_roots=roots, allow_fetching=False, moment=stamp_time)
        earlier = await async_validate_pdf_signature(seal, then, stamp_context, skip_diff=True)
        trusted_then = bool(earlier.trusted)
    trusted = trusted_now or trusted_then or passed(lta)
    detail = _trust_detail(status.signing_cert, stamp_time, trusted_now, trusted_then, passed(lta))
    checks.append((f"{name}_trusted", trusted, detail))

    stamp_ok = False
    if stamp is not None:
        stamp_ok = stamp_sound and (bool(stamp.trusted) or passed(lta))
        checks.append((f"{name}_timestamp", stamp_ok, _stamp_detail(stamp, stamp_sound, stamp_ok)))

    lt_ok = False
    if has_revocation_data(reader):
        lt = None
        if stamp_time is not None:
            lt = await long_term.at_seal_time(seal, reader, roots, stamp_roots, stamp_time)
        lt_ok = passed(lt)
        covered = lt_ok or passed(lta)
        detail = _revocation_detail(reader, lt, stamp_time, covered)
        checks.append((f"{name}_revocation", covered, detail))
    if archive:
        checks.append(await _archive_check(name, archive, stamp_context, lta))
    current_ok = True
    if online:
        result = await long_term.today(seal, roots, stamp_roots, archive)
        current_ok = passed(result)
        checks.append((f"{name}_current_status", current_ok, _today_detail(result)))

    level: str | None = None
    if not current_ok:
        level = None  # revoked before its time, or otherwise invalid today
    elif sealed_ok and passed(lta):
        level = "B-LTA"
    elif sealed_ok and trusted:
        level = "B-LT" if stamp_ok and lt_ok else "B-T" if stamp_ok else "B-B"
    return checks, level


def _integrity(seal: EmbeddedPdfSignature, status: Any) -> tuple[bool, str]:
    subfilter = str(seal.sig_object.get("/SubFilter"))
    whole = status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    archival = (
        status.coverage == SignatureCoverageLevel.ENTIRE_REVISION
        and status.modification_level == ModificationLevel.LTA_UPDATES
    )
    intact = bool(status.intact and status.valid)
    pades = subfilter == PADES_SUBFILTER
    return (
        intact and (whole or archival) and pades,
        f"signed by {_who(status.signing_cert)}; "
        + ("digest and signature valid" if intact else "digest or signature INVALID")
        + (
            "; covers the whole file"
            if whole
            else "; only revocation data and timestamps were added after it"
            if archival
            else "; the file was changed after sealing"
        )
        + ("; PAdES" if pades else f"; not PAdES ({subfilter})"),
    )


def _trust_detail(
    cert: Any, stamp_time: dt.datetime | None, now: bool, then: bool, lta: bool
) -> str:
    chains = "chains to a given trust root; "
    if lta:
        return chains + "valid at the seal's time, proven by the archive timestamps"
    if now:
        return chains + "certificate valid now (revocation not checked here)"
    if then and stamp_time is not None:
        return chains + f"certificate valid at the seal's timestamp {utc(stamp_time)}"
    expiry, start = cert.not_valid_after, cert.not_valid_before
    moment = stamp_time or dt.datetime.now(dt.UTC)
    if moment > expiry:
        expired = f"the certificate expired on {expiry:%Y-%m-%d}"
        if stamp_time is None:
            return expired + " and no timestamp proves the seal is older"
        return expired + f", before the seal's timestamp {utc(stamp_time)}"
    if moment < start:
        return f"the certificate is not valid before {start:%Y-%m-%d}"
    return "does not chain to a given trust root"


def _stamp_detail(stamp: Any, sound: bool, ok: bool) -> str:
    if not sound:
        return "the RFC 3161 timestamp token is damaged or does not match the seal"
    what = f"RFC 3161 timestamp {utc(stamp.timestamp)} from {_who(stamp.signing_cert)}"
    if ok:
        return what + (
            "; chains to a given time-stamping root"
            if stamp.trusted
            else "; its authority is covered by the archive timestamps"
        )
    return what + "; the authority does not chain to a given root or its certificate has expired"


def _revocation_detail(
    reader: PdfFileReader, result: Any, stamp_time: dt.datetime | None, ok: bool
) -> str:
    dss = DocumentSecurityStore.read_dss(reader)
    found = f"{len(dss.ocsps)} OCSP response(s) and {len(dss.crls)} CRL(s) in the file"
    if ok:
        when = f" at the seal's time {utc(stamp_time)}" if stamp_time else ""
        return f"{found} show no certificate of the seal or its timestamp revoked{when}"
    if stamp_time is None:
        return f"{found}, but no valid timestamp gives the time to check them at"
    return f"{found} do not validate the seal at its time: {problem(result)}"


async def _archive_check(
    name: str, archive: list[EmbeddedPdfSignature], context: ValidationContext, lta: Any
) -> CheckLine:
    broken, newest = [], None
    for number, stamp in enumerate(archive, start=1):
        status = await async_validate_pdf_timestamp(stamp, context)
        newest = status.timestamp
        if not (status.intact and status.valid):
            broken.append(str(number))
    check = f"{name}_archive_timestamps"
    if broken:
        return (check, False, f"document timestamp(s) {', '.join(broken)} damaged")
    last = archive[-1].signer_cert
    when = f" {utc(newest)}" if newest is not None else ""
    summary = f"{len(archive)} document timestamp(s), the newest{when} from {_who(last)}"
    if not passed(lta):
        return (check, False, f"{summary}; the archive does not validate: {problem(lta)}")
    renew = f"; renew with 'tpi-forms reseal' before {last.not_valid_after:%Y-%m-%d}"
    return (check, True, summary + renew + ", when that authority's certificate expires")


def _today_detail(result: Any) -> str:
    fetched = "revocation status fetched today: "
    if not passed(result):
        return fetched + problem(result)
    details = getattr(result.api_status, "revocation_details", None)
    if details is None:
        return fetched + "not revoked"
    return (
        f"{fetched}revoked on {utc(details.revocation_date)}, after the seal's time "
        f"{utc(result.best_signature_time)}: the seal stays valid"
    )
