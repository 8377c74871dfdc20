"""``tpi-forms diff OLD NEW``: what changed between two questionnaire or consent versions.

OLD and NEW are each a shipped definition (``tpi_consent`` for the current one,
``tpi_consent@0.1.0`` for a released one) or a definition file (``my_consent.toml``, with its
translation files beside it). The changes print in words, texts side by side; ``--html FILE``
also writes them as a page.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .._resources import make_environment
from .._toml import read_toml
from ..definitions.consent import DEFAULT_CONSENT, load_consent_definition
from ..definitions.diff import Change, DefinitionDiff, diff_consents, diff_questionnaires
from ..definitions.questionnaire import DEFAULT_QUESTIONNAIRE, load_questionnaire
from ..definitions.released import load_released_consent, load_released_questionnaire
from ..definitions.words import language_name, words
from ..errors import InputError

SHIPPED = {DEFAULT_QUESTIONNAIRE: "questionnaire", DEFAULT_CONSENT: "consent"}


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "diff",
        help="show what changed between two questionnaire or consent versions",
        description=(
            "Compare two versions of a questionnaire or consent definition and print the "
            "questions, rules, sections, risks, medicines and signers added, removed or "
            "changed, with their texts before and after. Each of OLD and NEW is a shipped "
            "definition (tpi_consent, tpi_consent@0.1.0, tpi_screening@1.0.0) or a file."
        ),
    )
    parser.add_argument("old", help="the earlier version: ID, ID@VERSION or a .toml file")
    parser.add_argument("new", help="the later version: ID, ID@VERSION or a .toml file")
    parser.add_argument("--locale", default="en", help="language of the texts (default: en)")
    parser.add_argument(
        "--html", type=Path, metavar="FILE", help="also write the changes as a page"
    )
    parser.set_defaults(func=run)


def load_spec(spec: str) -> tuple[str, Any]:
    """(kind, definition) for ``ID``, ``ID@VERSION`` or a definition file path."""
    name, _, version = spec.partition("@")
    if name in SHIPPED:
        kind = SHIPPED[name]
        if not version:
            return kind, load_questionnaire() if kind == "questionnaire" else (
                load_consent_definition()
            )
        current = load_questionnaire() if kind == "questionnaire" else load_consent_definition()
        if version == current.version:
            return kind, current
        if kind == "questionnaire":
            return kind, load_released_questionnaire(version)
        return kind, load_released_consent(version)
    path = Path(spec)
    if path.suffix != ".toml" or not path.is_file():
        known = ", ".join(SHIPPED)
        raise InputError(f"'{spec[:80]}' is not a definition file nor one of: {known} (@VERSION)")
    root = read_toml(path)
    if "procedure" in root:  # only a consent names its procedure
        beside = path.parent / f"{root.opt_str('questionnaire') or DEFAULT_QUESTIONNAIRE}.toml"
        questionnaire = load_questionnaire(beside) if beside.is_file() else load_questionnaire()
        return "consent", load_consent_definition(path, questionnaire)
    return "questionnaire", load_questionnaire(path)


def compare(old_spec: str, new_spec: str, locale: str) -> DefinitionDiff:
    """The changes from ``old_spec`` to ``new_spec`` (see `load_spec`) in ``locale``."""
    old_kind, old = load_spec(old_spec)
    new_kind, new = load_spec(new_spec)
    if old_kind != new_kind:
        raise InputError(f"cannot compare a {old_kind} with a {new_kind}")
    if old_kind == "questionnaire":
        return diff_questionnaires(old, new, locale)
    return diff_consents(old, new, locale)


@dataclass(frozen=True)
class Row:
    """One change in words, as the text and the page show it."""

    action: str
    heading: str
    aspects: str
    old: str
    new: str


def rows(diff: DefinitionDiff, w: Any) -> list[Row]:
    """Each change as words of the ``diff`` word set."""

    def severity(name: str | None) -> str:
        return w[f"severities.{name}"] if name else ""

    def describe(change: Change) -> Row:
        heading = f"{w[f'actions.{change.action}']}: {w[f'kinds.{change.kind}']} {change.id}"
        aspects = ", ".join(w[f"aspects.{a}"] for a in change.aspects)
        old, new = change.old or "", change.new or ""
        if change.old_severity and change.new_severity:
            aspects += (
                " ("
                + w["page.severity_change"].format(
                    old=severity(change.old_severity), new=severity(change.new_severity)
                )
                + ")"
            )
        elif change.action == "added" and change.new_severity:
            new = w["page.severity"].format(severity=severity(change.new_severity)) + ". " + new
        elif change.action == "removed" and change.old_severity:
            old = w["page.severity"].format(severity=severity(change.old_severity)) + ". " + old
        return Row(change.action, heading, aspects, old, new)

    return [describe(c) for c in diff.changes]


def header(diff: DefinitionDiff, w: Any) -> tuple[str, str, str]:
    """The title, language line and summary line."""
    title = w["page.title"].format(
        kind=w[f"kinds.{diff.kind}"],
        old=f"{diff.old_id} {diff.old_version}",
        new=f"{diff.new_id} {diff.new_version}",
    )
    language = w["page.language"].format(language=language_name(diff.locale))
    summary = w["page.summary"].format(
        added=diff.count("added"), removed=diff.count("removed"), changed=diff.count("changed")
    )
    return title, language, summary


def as_text(diff: DefinitionDiff, locale: str) -> str:
    """The changes as plain text: a heading per change, its texts before and after."""
    w = words("diff", locale, default="en")
    title, language, summary = header(diff, w)
    lines = [title, language, summary if diff.changes else w["page.no_changes"]]
    width = max(len(w["page.before"]), len(w["page.after"])) + 1
    for row in rows(diff, w):
        lines.append("")
        lines.append(row.heading + (f" — {row.aspects}" if row.aspects else ""))
        if row.old:
            lines.append(f"  {(w['page.before'] + ':').ljust(width)} {row.old}")
        if row.new:
            lines.append(f"  {(w['page.after'] + ':').ljust(width)} {row.new}")
    return "\n".join(lines) + "\n"


def as_html(diff: DefinitionDiff, locale: str) -> str:
    """The changes as a standalone page (every text escaped)."""
    w = words("diff", locale, default="en")
    title, language, summary = header(diff, w)
    template = make_environment().get_template("diff.html")
    return template.render(
        locale=locale,
        title=title,
        language=language,
        summary=summary,
        rows=rows(diff, w),
        w=w,
    )


def run(args: argparse.Namespace) -> int:
    diff = compare(args.old, args.new, args.locale)
    print(as_text(diff, args.locale), end="")
    if args.html is not None:
        args.html.write_text(as_html(diff, args.locale), encoding="utf-8")
    return 0
