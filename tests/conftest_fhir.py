"""FHIR checks shared by the FHIR and example tests: model validation, invariants, enableWhen.

`fhir.resources` (R4B models: the R4 and R4B structures of Questionnaire, QuestionnaireResponse,
Consent, Provenance, Patient and Bundle are the same) checks structure and datatypes but not the
spec's invariants or required code bindings, so `check_resource` also evaluates those with
FHIRPath (fhirpathpy), and `fhir_enabled` is an independent reading of R4's enableWhen rules.
"""

from __future__ import annotations

import functools
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.consent import Consent
from fhir.resources.R4B.patient import Patient
from fhir.resources.R4B.provenance import Provenance
from fhir.resources.R4B.questionnaire import Questionnaire
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse
from fhirpathpy import compile as fhirpath_compile
from fhirpathpy.models import models

MODEL = models["r4"]


@functools.cache
def compiled(expression: str) -> Callable[[Any, Any], list[Any]]:
    """A FHIRPath expression over R4, parsed once (the parse is most of an evaluation's time)."""
    return fhirpath_compile(expression, MODEL)


def fhirpath(resource: Any, expression: str) -> list[Any]:
    """``expression`` evaluated on ``resource``, which is also its ``%resource``."""
    return compiled(expression)(resource, {"resource": resource})


MODELS: dict[str, Any] = {
    "Bundle": Bundle,
    "Consent": Consent,
    "Patient": Patient,
    "Provenance": Provenance,
    "Questionnaire": Questionnaire,
    "QuestionnaireResponse": QuestionnaireResponse,
}

_ITEM_TYPES = (
    "'group' | 'display' | 'boolean' | 'decimal' | 'integer' | 'date' | 'dateTime' | 'time' | 'string'"
    " | 'text' | 'url' | 'choice' | 'open-choice' | 'attachment' | 'reference' | 'quantity'"
)
# Invariants (and required bindings) of FHIR R4, as FHIRPath over the resource.
INVARIANTS: dict[str, dict[str, str]] = {
    "Questionnaire": {
        "que-0": "name.exists() implies name.matches('^[A-Z]([A-Za-z0-9_]){0,254}$')",
        "que-1": "repeat(item).all((type = 'group' implies item.exists()) and (type = 'display' implies item.empty()))",
        "que-2": "descendants().linkId.isDistinct()",
        "que-3": "repeat(item).all(type != 'display' or code.empty())",
        "que-4": "repeat(item).all(answerOption.empty() or answerValueSet.empty())",
        "que-5": "repeat(item).all(type in ('choice' | 'open-choice' | 'decimal' | 'integer' | 'date' | 'dateTime'"
        " | 'time' | 'string' | 'quantity') or (answerValueSet.empty() and answerOption.empty()))",
        "que-6": "repeat(item).all(type != 'display' or (required.empty() and repeats.empty()))",
        "que-7": "repeat(item).enableWhen.all(operator = 'exists' implies answerBoolean.exists())",
        "que-10": "repeat(item).all(type in ('boolean' | 'decimal' | 'integer' | 'string' | 'text' | 'url'"
        " | 'open-choice') or maxLength.empty())",
        "que-12": "repeat(item).all(enableWhen.count() > 1 implies enableBehavior.exists())",
        "status": "status in ('draft' | 'active' | 'retired' | 'unknown')",
        "item-type": f"repeat(item).all(type in ({_ITEM_TYPES}))",
        "operator": "repeat(item).enableWhen.all(operator in ('exists' | '=' | '!=' | '>' | '<' | '>=' | '<='))",
        "behavior": "repeat(item).enableBehavior.all($this in ('all' | 'any'))",
        "enable-question": "repeat(item).enableWhen.all(%resource.repeat(item).linkId contains question)",
    },
    "QuestionnaireResponse": {
        "qrs-1": "repeat(item).all(answer.exists() implies item.empty())",
        "status": "status in ('in-progress' | 'completed' | 'amended' | 'entered-in-error' | 'stopped')",
    },
    "Consent": {
        "ppc-1": "policy.exists() or policyRule.exists()",
        "ppc-5": "scope.coding.where(system = 'http://terminology.hl7.org/CodeSystem/consentscope'"
        " and code = 'treatment').exists() implies patient.exists()",
        "status": "status in ('draft' | 'proposed' | 'active' | 'rejected' | 'inactive' | 'entered-in-error')",
        "provision-type": "provision.type.all($this in ('deny' | 'permit'))",
    },
    "Provenance": {
        "required": "target.exists() and recorded.exists() and agent.exists()",
        "signature": "signature.all(type.exists() and when.exists() and who.exists())",
    },
    "Bundle": {
        "bdl-3": "type = 'transaction' implies entry.all(request.exists())",
        "bdl-7": "entry.fullUrl.isDistinct()",
        "method": "entry.request.all(method in ('GET' | 'HEAD' | 'POST' | 'PUT' | 'DELETE' | 'PATCH'))",
    },
    "Patient": {},
}


def check_resource(resource: dict[str, Any]) -> None:
    """Validate with the fhir.resources model, then every invariant listed above."""
    kind = resource["resourceType"]
    MODELS[kind].model_validate(resource)
    for key, expression in INVARIANTS[kind].items():
        result = fhirpath(resource, expression)
        assert result == [True], f"{kind} {key} fails: {expression}"
    if kind == "Bundle":
        for entry in resource["entry"]:
            check_resource(entry["resource"])


def items_by_link(resource: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every item of a Questionnaire or QuestionnaireResponse, at any depth, by linkId."""
    found: dict[str, dict[str, Any]] = {}

    def walk(items: list[dict[str, Any]]) -> None:
        for item in items:
            found[item["linkId"]] = item
            walk(item.get("item", []))
            for answer in item.get("answer", []):
                walk(answer.get("item", []))

    walk(resource.get("item", []))
    return found


def answer_values(response: dict[str, Any], link_id: str) -> list[Any]:
    """The answers of one item, as plain values (a coding as its code)."""
    item = items_by_link(response).get(link_id)
    values = []
    for answer in (item or {}).get("answer", []):
        ((key, value),) = answer.items()
        values.append(value["code"] if key == "valueCoding" else value)
    return values


def fhir_enabled(item: dict[str, Any], response: dict[str, Any]) -> bool:
    """Whether a Questionnaire item is enabled for a response, read as FHIR R4 defines it.

    ``exists``: an answer exists equals the value; ``=``, ``>`` ...: at least one answer
    compares true; ``!=``: no answer equals the value.
    """
    results = []
    for condition in item["enableWhen"]:
        values = answer_values(response, condition["question"])
        (key,) = [k for k in condition if k.startswith("answer")]
        expected = condition[key]["code"] if key == "answerCoding" else condition[key]
        op = condition["operator"]
        if op == "exists":
            results.append(bool(values) == expected)
        elif op == "!=":
            results.append(not any(v == expected for v in values))
        else:
            compare: Callable[[Any, Any], bool] = {
                "=": lambda a, b: a == b,
                ">": lambda a, b: a > b,
                "<": lambda a, b: a < b,
                ">=": lambda a, b: a >= b,
                "<=": lambda a, b: a <= b,
            }[op]
            results.append(any(compare(v, expected) for v in values))
    return all(results) if item.get("enableBehavior", "all") == "all" else any(results)


def expression_enabled(item: dict[str, Any], response: dict[str, Any]) -> bool:
    """Evaluate an item's SDC enableWhenExpression against a response."""
    (ext,) = [e for e in item["extension"] if e["url"].endswith("enableWhenExpression")]
    result = fhirpath(response, ext["valueExpression"]["expression"])
    assert result in ([True], [False]), result
    return bool(result[0])


# A questionnaire with one gate question of each type and one dependent question per case.
GATES = """
[[sections]]
id = "gates"

[[sections.questions]]
id = "g_bool"
type = "boolean"
required = false

[[sections.questions]]
id = "g_int"
type = "integer"
min = 0
max = 10
required = false

[[sections.questions]]
id = "g_str"
type = "string"
required = false

[[sections.questions]]
id = "g_text"
type = "text"
required = false

[[sections.questions]]
id = "g_date"
type = "date"
required = false

[[sections.questions]]
id = "g_choice"
type = "choice"
choices = ["a", "b", "c"]
required = false

[[sections.questions]]
id = "g_multi"
type = "multichoice"
choices = ["a", "b", "c"]
required = false
"""

GATE_IDS = ("g_bool", "g_int", "g_str", "g_text", "g_date", "g_choice", "g_multi")


def write_condition_questionnaire(folder: Path, cases: dict[str, str]) -> Path:
    """Write a questionnaire (structure, en, es) whose question ``d_<case>`` has that condition."""
    structure = [
        'id = "conditions_test"',
        'version = "1.0.0"',
        "",
        "[plan]",
        'sites_question = "g_multi"',
        'local_anesthetics = ["lidocaine"]',
        GATES,
        "[[sections]]",
        'id = "dependents"',
    ]
    for name, condition in cases.items():
        structure += [
            "",
            "[[sections.questions]]",
            f'id = "d_{name}"',
            'type = "string"',
            f"enable_when = {condition}",
        ]
    (folder / "conditions_test.toml").write_text("\n".join(structure) + "\n", encoding="utf-8")
    for locale, word in (("en", "Question"), ("es", "Pregunta")):
        lines = [
            f'title = "{word}s"',
            "[sections.gates]",
            f'title = "{word} A"',
            "[sections.dependents]",
            f'title = "{word} B"',
        ]
        for qid in GATE_IDS:
            lines += [f"[questions.{qid}]", f'label = "{word} {qid}"']
            if qid in ("g_choice", "g_multi"):
                lines += [f"[questions.{qid}.choices]", 'a = "A"', 'b = "B"', 'c = "C"']
        for name in cases:
            lines += [f"[questions.d_{name}]", f'label = "{word} {name}"']
        (folder / f"conditions_test.{locale}.toml").write_text(
            textwrap.dedent("\n".join(lines)) + "\n", encoding="utf-8"
        )
    return folder / "conditions_test.toml"
