"""What was added to a packet after it was saved, and what it embeds.

- ``revisions``: a packet is saved once. The only updates allowed after that are its seal's
  signature revision and, after the seal, revision data (DSS) and document timestamps; pyHanko's
  reader tells the revisions apart and its difference analysis says what each added. Without
  pyHanko (the ``pades`` extra), any update after the first save fails.
- ``one_attachment``: the packet embeds exactly one file, ``record.json``, and no page carries a
  file attachment annotation (a second record could be shown by another reader).
"""

from __future__ import annotations

import io
import re
from typing import Any

from ..record.model import RECORD_ATTACHMENT

CheckLine = tuple[str, bool, str]
_EOF = re.compile(rb"%%EOF[\r\n]*")


def _saves(pdf_bytes: bytes) -> int:
    """How many times the file was saved: its ``%%EOF`` markers followed by more data or the end."""
    return max(1, len(_EOF.findall(pdf_bytes)))


def revision_check(pdf_bytes: bytes) -> CheckLine:
    """``revisions``: no incremental update but the seal's and its timestamps' and DSS."""
    try:
        from pyhanko.pdf_utils.reader import PdfFileReader
    except ImportError:
        saves = _saves(pdf_bytes)
        if saves == 1:
            return ("revisions", True, "saved once, never updated")
        return ("revisions", False, f"{saves - 1} update(s) after the original save")
    try:
        reader = PdfFileReader(io.BytesIO(pdf_bytes), strict=False)
        total = reader.xrefs.total_revisions
        signatures = list(reader.embedded_signatures)
    except Exception as exc:  # pyHanko raises many types on damaged files
        return ("revisions", False, f"the revisions cannot be read ({type(exc).__name__})")
    if total == 1:
        return ("revisions", True, "saved once, never updated")
    if not signatures:
        return ("revisions", False, f"{total - 1} incremental update(s) after the original save")
    first = min(signatures, key=lambda s: s.signed_revision)
    if first.signed_revision != 1:
        updates = first.signed_revision - 1
        return ("revisions", False, f"{updates} incremental update(s) before the seal")
    if first.sig_object.get("/Type") == "/DocTimeStamp":
        return ("revisions", False, "the first update is a timestamp, not a seal")
    if total - 1 > first.signed_revision:
        level = _modification_level(first)
        if level is not None:
            return ("revisions", False, f"after the seal, the file was changed ({level})")
    return (
        "revisions",
        True,
        f"{total - 1} update(s) after the original save: the seal, its revocation data and "
        "timestamps",
    )


def _modification_level(seal: Any) -> str | None:
    """None when the updates after ``seal`` only add DSS data and timestamps; else what they do."""
    from pyhanko.sign.diff_analysis import DEFAULT_DIFF_POLICY, ModificationLevel

    try:
        result = seal.evaluate_modifications(DEFAULT_DIFF_POLICY)
    except Exception as exc:  # suspicious or unreadable updates
        return type(exc).__name__
    level = getattr(result, "modification_level", None)
    if level is None:
        return "suspicious changes"
    if level.value <= ModificationLevel.LTA_UPDATES.value:
        return None
    return str(level.name).lower().replace("_", " ")


def attachment_check(reader: Any) -> CheckLine:
    """``one_attachment``: one embedded file, the record, and no file attachment annotation."""
    try:
        names = {name: len(files) for name, files in reader.attachments.items()}
        annotated = 0
        for page in reader.pages:
            for annot in page.get("/Annots") or ():
                if annot.get_object().get("/Subtype") == "/FileAttachment":
                    annotated += 1
    except Exception as exc:  # a damaged name tree or annotation
        return ("one_attachment", False, f"the attachments cannot be read ({type(exc).__name__})")
    total = sum(names.values()) + annotated
    if names == {RECORD_ATTACHMENT: 1} and not annotated:
        return ("one_attachment", True, f"{RECORD_ATTACHMENT} is the only embedded file")
    return ("one_attachment", False, f"{total} embedded files; a packet embeds only the record")
