"""pyHanko's ETSI EN 319 102-1 validations of a seal, as `tpi_forms.verify.seal` runs them.

- `at_seal_time`: 5.5 (signatures with time and long-term validation material), offline, at the
  moment the seal's timestamp proves, with only the revocation data in the file (B-LT);
- `archival`: 5.6.3 (long-term availability and integrity), offline, with the document
  timestamps as evidence; the newest timestamp's authority is taken as not revoked, since only
  an online check can say otherwise (B-LTA);
- `today`: the same processes with today's revocation status fetched online.

Each returns pyHanko's result; ``result.ades_subindic.status`` is PASSED, INDETERMINATE or FAILED.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pyhanko.pdf_utils.decode_limits import DecodePurpose
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.ades.report import AdESFailure, AdESIndeterminate, AdESStatus
from pyhanko.sign.validation import DocumentSecurityStore, EmbeddedPdfSignature
from pyhanko.sign.validation.ades import ades_lta_validation, ades_with_time_validation
from pyhanko.sign.validation.policy_decl import (
    LocalKnowledge,
    PdfSignatureValidationSpec,
    RevinfoOnlineFetchingRule,
    RevocationInfoGatheringSpec,
    SignatureValidationSpec,
)
from pyhanko.sign.validation.status import PdfSignatureStatus
from pyhanko_certvalidator.context import CertValidationPolicySpec
from pyhanko_certvalidator.ltv.types import ValidationTimingInfo
from pyhanko_certvalidator.policy_decl import (
    REQUIRE_REVINFO,
    CertRevTrustPolicy,
    FreshnessReqType,
    NonRevokedStatusAssertion,
)
from pyhanko_certvalidator.registry import SimpleTrustManager
from pyhanko_certvalidator.revinfo.archival import CRLContainer, OCSPContainer


def passed(result: Any) -> bool:
    return result is not None and result.ades_subindic.status == AdESStatus.PASSED


def problem(result: Any) -> str:
    """Why a validation did not pass, in plain words (names no patient data)."""
    if result is None:
        return "not checked"
    indication = result.ades_subindic
    details = getattr(result.api_status, "revocation_details", None)
    if indication in (AdESFailure.REVOKED, AdESIndeterminate.REVOKED_NO_POE):
        when = f" on {utc(details.revocation_date)}" if details is not None else ""
        return f"the certificate was revoked{when}, and nothing proves the seal is older"
    if indication in (AdESIndeterminate.EXPIRED, AdESIndeterminate.OUT_OF_BOUNDS_NO_POE):
        return "a certificate has expired and nothing proves the seal is older"
    if indication == AdESIndeterminate.NO_POE:
        return "nothing proves when the validation data existed (was a renewal missed?)"
    if indication in (
        AdESIndeterminate.TRY_LATER,
        AdESIndeterminate.REVOCATION_OUT_OF_BOUNDS_NO_POE,
    ):
        return "revocation data is missing or out of date"
    if indication in (
        AdESIndeterminate.NO_CERTIFICATE_CHAIN_FOUND,
        AdESIndeterminate.CERTIFICATE_CHAIN_GENERAL_FAILURE,
    ):
        return "no valid chain to a given trust root"
    if indication in (AdESFailure.HASH_FAILURE, AdESFailure.SIG_CRYPTO_FAILURE):
        return "a signature or timestamp does not match its data"
    return str(indication.name).lower().replace("_", " ")


def utc(moment: dt.datetime) -> str:
    return f"{moment.astimezone(dt.UTC):%Y-%m-%d %H:%M} UTC"


def _knowledge(reader: PdfFileReader) -> LocalKnowledge:
    """The certificates, OCSP responses and CRLs in the document security store."""
    from asn1crypto.crl import CertificateList  # type: ignore[import-untyped]
    from asn1crypto.ocsp import OCSPResponse  # type: ignore[import-untyped]

    dss = DocumentSecurityStore.read_dss(reader)
    return LocalKnowledge(
        known_ocsps=[
            container
            for ref in dss.ocsps
            for container in OCSPContainer.load_multi(
                OCSPResponse.load(ref.get_object().read_data(DecodePurpose.OCSP_RESPONSE))
            )
        ],
        known_crls=[
            CRLContainer(CertificateList.load(ref.get_object().read_data(DecodePurpose.CRL)))
            for ref in dss.crls
        ],
        known_certs=list(dss.load_certs()),
    )


def _spec(
    roots: list[Any],
    stamp_roots: list[Any],
    *,
    fetch: bool,
    knowledge: LocalKnowledge | None = None,
    freshness: FreshnessReqType = FreshnessReqType.DEFAULT,
    retroactive: bool = False,
) -> SignatureValidationSpec:
    policy = CertRevTrustPolicy(
        REQUIRE_REVINFO, freshness_req_type=freshness, retroactive_revinfo=retroactive
    )
    return SignatureValidationSpec(
        cert_validation_policy=CertValidationPolicySpec(
            trust_manager=SimpleTrustManager.build(roots), revinfo_policy=policy
        ),
        ts_cert_validation_policy=CertValidationPolicySpec(
            trust_manager=SimpleTrustManager.build(stamp_roots), revinfo_policy=policy
        ),
        local_knowledge=knowledge or LocalKnowledge(),
        revinfo_gathering_policy=RevocationInfoGatheringSpec(
            RevinfoOnlineFetchingRule.NO_HISTORICAL_FETCH
            if fetch
            else RevinfoOnlineFetchingRule.LOCAL_ONLY
        ),
    )


async def _with_time(
    seal: EmbeddedPdfSignature, spec: SignatureValidationSpec, timing: ValidationTimingInfo | None
) -> Any:
    return await ades_with_time_validation(
        seal.signed_data,
        spec,
        timing_info=timing,
        raw_digest=seal.compute_digest(),
        extra_status_kwargs=seal.summarise_integrity_info(),
        status_cls=PdfSignatureStatus,
    )


async def at_seal_time(
    seal: EmbeddedPdfSignature,
    reader: PdfFileReader,
    roots: list[Any],
    stamp_roots: list[Any],
    moment: dt.datetime,
) -> Any:
    """5.5 at ``moment`` (the seal's timestamp) with only the file's revocation data.

    OCSP responses and CRLs fetched just after sealing stand for the seal's time
    (``retroactive``): a revocation is never undone, so "not revoked" then holds for the moments
    just before. The seal must have been checked by `async_validate_pdf_signature` first.
    """
    spec = _spec(roots, stamp_roots, fetch=False, knowledge=_knowledge(reader), retroactive=True)
    return await _with_time(seal, spec, ValidationTimingInfo(moment, moment, True))


async def archival(
    seal: EmbeddedPdfSignature,
    roots: list[Any],
    stamp_roots: list[Any],
    archive: list[EmbeddedPdfSignature],
) -> Any:
    """5.6.3 offline; the newest document timestamp's authority is taken as not revoked now."""
    now = dt.datetime.now(dt.UTC)
    knowledge = LocalKnowledge(
        nonrevoked_assertions=[NonRevokedStatusAssertion(archive[-1].signer_cert.sha256, at=now)]
    )
    spec = _spec(
        roots,
        stamp_roots,
        fetch=False,
        knowledge=knowledge,
        freshness=FreshnessReqType.MAX_DIFF_REVOCATION_VALIDATION,
    )
    timing = ValidationTimingInfo(now, now, False)  # the moment the assertion is made for
    return await ades_lta_validation(seal, PdfSignatureValidationSpec(spec), timing_info=timing)


async def today(
    seal: EmbeddedPdfSignature,
    roots: list[Any],
    stamp_roots: list[Any],
    archive: list[EmbeddedPdfSignature],
) -> Any:
    """5.6.3 (with document timestamps) or 5.5, fetching today's revocation status."""
    if archive:
        spec = _spec(
            roots,
            stamp_roots,
            fetch=True,
            freshness=FreshnessReqType.MAX_DIFF_REVOCATION_VALIDATION,
        )
        return await ades_lta_validation(seal, PdfSignatureValidationSpec(spec))
    return await _with_time(seal, _spec(roots, stamp_roots, fetch=True), None)
