"""The consent document: every element for each plan and language, plan-dependent risks, hashes."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
import shutil
import tomllib
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tpi_forms.consent.document import (
    ConsentDocument,
    ConsentRecordError,
    build_consent,
    canonical_json,
    consent_hash_of,
)
from tpi_forms.definitions.clinic import Clinic, ClinicLogo, Practitioner, sample_clinic
from tpi_forms.definitions.consent import LABELS, ConsentDefinition, load_consent_definition
from tpi_forms.definitions.questionnaire import Questionnaire, load_questionnaire
from tpi_forms.definitions.texts import UnknownLocaleError
from tpi_forms.errors import DefinitionError
from tpi_forms.screening.procedure import PlannedProcedure, ProcedureError

DEFINITIONS = Path(__file__).resolve().parent.parent / "tpi_forms" / "definitions"
LOCALES = ("en", "es")
BASE_SECTIONS = [
    "trigger_points",
    "plan",
    "during",
    "aftercare",
    "benefits",
    "alternatives",
    "questions",
    "refusal",
    "electronic_signature",
]
BASE_RISKS = {
    "soreness": "common",
    "bruising": "common",
    "numbness": "common",
    "bleeding": "uncommon",
    "fainting": "uncommon",
    "infection": "uncommon",
    "pneumothorax": "rare",
    "nerve_injury": "rare",
    "allergy": "rare",
    "anesthetic_toxicity": "rare",
    "broken_needle": "rare",
}
STEROID_RISKS = {"blood_sugar", "skin_thinning", "fat_dimpling"}
CHEST_SITES = ("chest_wall", "upper_back", "shoulder")
# Words each section must contain, per language: the facts the brief requires it to state.
REQUIRED_WORDS = {
    "en": {
        "trigger_points": ["knot in a muscle", "needle"],
        "alternatives": ["saline", "dry needling", "no treatment", "physical therapy"],
        "aftercare": ["911", "trouble breathing", "fever"],
        "benefits": ["cannot promise", "different for each person"],
        "questions": ["ask questions", "answered"],
        "refusal": ["say no", "before it starts"],
        "electronic_signature": ["sign this form on a screen", "paper copy", "sign on paper"],
        "steroid": ["steroid", "without it"],
    },
    "es": {
        "trigger_points": ["nudo", "aguja"],
        "alternatives": ["suero", "aguja seca", "no tratarse", "terapia física"],
        "aftercare": ["911", "respirar", "fiebre"],
        "benefits": ["no podemos prometer", "distinta"],
        "questions": ["hacer preguntas", "respondieron"],
        "refusal": ["decir que no", "antes de que empiece"],
        "electronic_signature": ["en una pantalla", "copia en papel", "firmar en papel"],
        "steroid": ["esteroide", "sin él"],
    },
}

VARIANTS = [
    pytest.param(PlannedProcedure(sites=("neck",)), id="neck"),
    pytest.param(PlannedProcedure(sites=("neck",), corticosteroid=True), id="neck-steroid"),
    pytest.param(PlannedProcedure(sites=("chest_wall", "lower_back")), id="chest"),
    pytest.param(
        PlannedProcedure(
            sites=("upper_back",), local_anesthetic="bupivacaine", corticosteroid=True
        ),
        id="upper_back-steroid-bupivacaine",
    ),
    pytest.param(PlannedProcedure(), id="sites-not-named"),
]


def all_text(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from all_text(v)
    elif isinstance(value, list):
        for v in value:
            yield from all_text(v)


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("plan", VARIANTS)
def test_every_element_is_present(plan: PlannedProcedure, locale: str) -> None:
    clinic = sample_clinic()
    doc = build_consent(plan, clinic, locale)
    definition = load_consent_definition()
    q = definition.questionnaire
    assert doc.locale == locale and doc.version and doc.definition_id == "tpi_consent"
    assert doc.title and doc.intro and doc.notice
    # Facility and practitioners come from the clinic configuration.
    assert doc.facility.name == clinic.name
    assert doc.facility.address == clinic.address and doc.facility.phone == clinic.phone
    assert doc.performer.display_name == clinic.practitioners[0].display_name
    assert doc.discussed_by.id == clinic.practitioners[0].id
    # Sites by name in the locale, from the questionnaire's site choices.
    sites = plan.sites or ()
    assert [s.id for s in doc.sites] == list(sites)
    for site in doc.sites:
        assert site.label == q.question("pain_sites").choice_label(site.id, locale)
        assert site.label.lower() in doc.sites_text.lower()
    plan_text = " ".join(doc.section("plan").paragraphs)
    assert doc.sites_text in plan_text and clinic.name in plan_text
    assert doc.performer.display_name in plan_text
    # Medicines: the local anaesthetic; the steroid only when planned.
    medicine_ids = [m.id for m in doc.medicines]
    assert medicine_ids[0] == plan.local_anesthetic
    assert ("corticosteroid" in medicine_ids) == plan.corticosteroid
    assert doc.medicines[0].name in plan_text
    assert all(m.name and m.purpose for m in doc.medicines)
    # Sections.
    expected = list(BASE_SECTIONS)
    if plan.corticosteroid:
        expected.insert(2, "steroid")
    assert [s.id for s in doc.sections] == expected
    for section in doc.sections:
        assert section.title and section.paragraphs and all(section.paragraphs)
        text = " ".join(section.paragraphs).lower()
        for word in REQUIRED_WORDS[locale].get(section.id, []):
            assert word.lower() in text, (section.id, word)
        assert "{" not in text and "}" not in text
    assert clinic.phone in " ".join(doc.section("aftercare").paragraphs)
    assert doc.discussed_by.display_name in " ".join(doc.section("questions").paragraphs)
    # Risks.
    for risk in doc.risks:
        assert risk.name and risk.description and risk.what_to_do and risk.source
        assert risk.frequency_id in ("common", "uncommon", "rare")
        assert risk.frequency == definition.frequencies[risk.frequency_id].get(locale)
        assert risk.group in [g.id for g in doc.risk_groups]
    # Signer roles with the meaning of each signature.
    roles = {r.id: r for r in doc.signer_roles}
    assert list(roles) == [
        "patient",
        "legal_representative",
        "practitioner",
        "witness",
        "interpreter",
    ]
    assert all(r.title and r.meaning for r in roles.values())
    assert roles["patient"].required and roles["practitioner"].required
    assert roles["legal_representative"].alternative_to == "patient"
    assert [f.id for f in roles["legal_representative"].fields] == ["relationship"]
    assert not roles["witness"].required and not roles["interpreter"].required
    assert [f.id for f in roles["interpreter"].fields] == ["language"]
    assert set(doc.labels) == set(LABELS) and all(doc.labels.values())
    # Never a percentage anywhere.
    assert not any("%" in text for text in all_text(doc.to_dict()))


@pytest.mark.parametrize("plan", VARIANTS)
def test_risk_lists_change_with_the_plan(plan: PlannedProcedure) -> None:
    doc = build_consent(plan)
    ids = {r.id: r for r in doc.risks}
    expected = set(BASE_RISKS) | (STEROID_RISKS if plan.corticosteroid else set())
    assert set(ids) == expected
    for risk_id, frequency in BASE_RISKS.items():
        assert ids[risk_id].frequency_id == frequency
    assert ("steroid" in [g.id for g in doc.risk_groups]) == plan.corticosteroid
    near_chest = any(site in CHEST_SITES for site in plan.sites or ())
    assert ids["pneumothorax"].highlighted == near_chest
    assert (ids["pneumothorax"].highlight is not None) == near_chest
    assert [r.id for r in doc.risks if r.highlighted] == (["pneumothorax"] if near_chest else [])


@pytest.mark.parametrize("site", ["chest_wall", "upper_back", "shoulder"])
def test_collapsed_lung_highlighted_for_each_site_near_the_chest(site: str) -> None:
    assert build_consent(PlannedProcedure(sites=(site,))).risk("pneumothorax").highlighted
    assert (
        not build_consent(PlannedProcedure(sites=("lower_back", "leg")))
        .risk("pneumothorax")
        .highlighted
    )


def test_frequency_words_per_locale() -> None:
    en = build_consent(PlannedProcedure(sites=("neck",)), locale="en")
    es = build_consent(PlannedProcedure(sites=("neck",)), locale="es")
    assert (en.risk("soreness").frequency, en.risk("allergy").frequency) == ("Common", "Rare")
    assert (es.risk("soreness").frequency, es.risk("bleeding").frequency) == (
        "Frecuente",
        "Poco frecuente",
    )


def test_languages_differ_and_cover_the_same_elements() -> None:
    plan = PlannedProcedure(sites=("neck", "chest_wall"), corticosteroid=True)
    en, es = build_consent(plan, locale="en"), build_consent(plan, locale="es")
    assert [r.id for r in en.risks] == [r.id for r in es.risks]
    assert [s.id for s in en.sections] == [s.id for s in es.sections]
    assert en.title != es.title and en.risk("allergy").description != es.risk("allergy").description
    assert en.content_hash != es.content_hash


def test_performer_and_discussion_per_document() -> None:
    clinic = sample_clinic()
    doc = build_consent(
        PlannedProcedure(sites=("neck",)), clinic, performer="sample_np", discussed_by="sample_md"
    )
    assert (doc.performer.id, doc.discussed_by.id) == ("sample_np", "sample_md")
    only_performer = build_consent(PlannedProcedure(sites=("neck",)), clinic, performer="sample_np")
    assert only_performer.discussed_by.id == "sample_np"


def test_locale_defaults_to_the_clinic() -> None:
    clinic = dataclasses.replace(sample_clinic(), default_locale="es")
    assert build_consent(PlannedProcedure(sites=("neck",)), clinic).locale == "es"


def test_sites_from_answers_when_the_plan_names_none() -> None:
    doc = build_consent(PlannedProcedure(), answers={"pain_sites": ["shoulder"]})
    assert [s.id for s in doc.sites] == ["shoulder"]
    assert doc.risk("pneumothorax").highlighted
    blank = build_consent(PlannedProcedure())
    assert blank.sites == () and blank.sites_text.startswith("the places")


def test_bad_inputs() -> None:
    with pytest.raises(ProcedureError, match="unknown site 'knee'"):
        build_consent(PlannedProcedure(sites=("knee",)))
    with pytest.raises(ProcedureError, match="unknown local anaesthetic"):
        build_consent(PlannedProcedure(sites=("neck",), local_anesthetic="procaine"))
    with pytest.raises(UnknownLocaleError, match="'fr'"):
        build_consent(PlannedProcedure(sites=("neck",)), locale="fr")


# --- hashes -----------------------------------------------------------------------------------


def test_hash_is_stable_for_the_same_inputs(tmp_path: Path) -> None:
    plan = PlannedProcedure(sites=("neck", "upper_back"), corticosteroid=True)
    first = build_consent(plan, locale="es")
    again = build_consent(
        PlannedProcedure(sites=("neck", "upper_back"), corticosteroid=True), locale="es"
    )
    assert first.content_hash == again.content_hash
    assert re.fullmatch(r"[0-9a-f]{64}", first.content_hash)
    copied = load_copy(copy_definitions(tmp_path))
    assert build_consent(plan, locale="es", definition=copied).content_hash == first.content_hash


def test_canonical_json_and_hash_are_fixed() -> None:
    # The serialisation the hash rests on, pinned: a change here would orphan every stored hash.
    data = {
        "b": ["Café", 1, True, None],
        "a": {"z": "ñ", "content": "x"},
        "content_hash": "ignored",
    }
    decomposed = {**data, "b": [unicodedata.normalize("NFD", "Café"), 1, True, None]}
    text = canonical_json({k: v for k, v in data.items() if k != "content_hash"})
    assert text == '{"a":{"content":"x","z":"ñ"},"b":["Café",1,true,null]}'
    assert consent_hash_of(data) == hashlib.sha256(text.encode("utf-8")).hexdigest()
    assert (
        consent_hash_of(data) == "3dc4b8cf5494ac65fa06af0346503e6e735fae0b454c13bb68832b0c2353f238"
    )
    assert consent_hash_of(decomposed) == consent_hash_of(data)
    assert consent_hash_of({**data, "content_hash": "other"}) == consent_hash_of(data)
    # Any change of any text changes it.
    assert consent_hash_of({**data, "a": {"z": "n", "content": "x"}}) != consent_hash_of(data)
    assert consent_hash_of({**data, "b": ["Cafe", 1, True, None]}) != consent_hash_of(data)


def test_hash_recomputes_from_the_stored_dict() -> None:
    doc = build_consent(PlannedProcedure(sites=("chest_wall",), corticosteroid=True), locale="es")
    stored = json.loads(json.dumps(doc.to_dict(), ensure_ascii=False))
    assert stored["content_hash"] == doc.content_hash == consent_hash_of(stored)
    assert stored["version"] == doc.version
    assert ConsentDocument.from_dict(stored) == doc
    stored["risks"][0]["description"] += " "
    with pytest.raises(ConsentRecordError, match="does not match"):
        ConsentDocument.from_dict(stored)


def test_hash_covers_plan_clinic_people_and_language() -> None:
    base = PlannedProcedure(sites=("neck",))
    clinic = sample_clinic()
    hashes = {
        build_consent(base).content_hash,
        build_consent(PlannedProcedure(sites=("neck",), corticosteroid=True)).content_hash,
        build_consent(PlannedProcedure(sites=("neck", "arm"))).content_hash,
        build_consent(
            PlannedProcedure(sites=("neck",), local_anesthetic="bupivacaine")
        ).content_hash,
        build_consent(base, locale="es").content_hash,
        build_consent(base, performer="sample_np").content_hash,
        build_consent(base, discussed_by="sample_np").content_hash,
        build_consent(base, dataclasses.replace(clinic, name="Other Clinic")).content_hash,
        build_consent(base, dataclasses.replace(clinic, phone="555-0199")).content_hash,
        build_consent(
            base,
            dataclasses.replace(
                clinic, practitioners=(Practitioner("sample_md", "Alex Sample", "DO"),)
            ),
        ).content_hash,
    }
    assert len(hashes) == 10


def _png(colour: tuple[int, int, int]) -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (8, 4), colour).save(buffer, "PNG")
    return buffer.getvalue()


def test_hash_covers_the_logo() -> None:
    people = (Practitioner("x", "Pat Doe"),)
    logo = ClinicLogo("logo.png", _png((0, 0, 0)))
    clinic = Clinic("C", ("Line",), "1", practitioners=people, logo=logo)
    first = build_consent(PlannedProcedure(sites=("neck",)), clinic)
    assert first.facility.logo_file == "logo.png"
    assert first.facility.logo_sha256 == hashlib.sha256(logo.data).hexdigest()
    assert first.logo == logo  # the image, for pages to show; not in the hashed content
    assert "data_base64" not in json.dumps(first.to_dict())
    other = dataclasses.replace(clinic, logo=ClinicLogo("logo.png", _png((0, 0, 1))))
    assert build_consent(PlannedProcedure(sites=("neck",)), other).content_hash != (
        first.content_hash
    )
    again = ConsentDocument.from_dict(first.to_dict())
    assert again.content_hash == first.content_hash and again.logo is None


def test_a_document_refuses_a_logo_its_facility_does_not_name() -> None:
    logo = ClinicLogo("logo.png", _png((0, 0, 0)))
    document = build_consent(PlannedProcedure(sites=("neck",)))
    with pytest.raises(ConsentRecordError, match="not the one the consent names"):
        dataclasses.replace(document, logo=logo)


def test_unicode_forms_give_one_hash() -> None:
    composed = dataclasses.replace(sample_clinic(), name="Clínica Peña")
    decomposed = dataclasses.replace(
        sample_clinic(), name=unicodedata.normalize("NFD", "Clínica Peña")
    )
    a = build_consent(PlannedProcedure(sites=("neck",)), composed)
    b = build_consent(PlannedProcedure(sites=("neck",)), decomposed)
    assert a.content_hash == b.content_hash and a.facility.name == b.facility.name


def copy_definitions(tmp_path: Path) -> Path:
    folder = tmp_path / "definitions"
    folder.mkdir()
    for path in DEFINITIONS.glob("tpi_*.toml"):
        shutil.copy(path, folder / path.name)
    return folder


def load_copy(folder: Path, q: Questionnaire | None = None) -> ConsentDefinition:
    q = q or load_questionnaire(folder / "tpi_screening.toml")
    return load_consent_definition(folder / "tpi_consent.toml", q)


def text_keys(path: Path) -> list[tuple[str, ...]]:
    keys: list[tuple[str, ...]] = []

    def walk(data: dict[str, Any], prefix: tuple[str, ...]) -> None:
        for key, value in data.items():
            if isinstance(value, dict):
                walk(value, (*prefix, key))
            else:
                keys.append((*prefix, key))

    walk(tomllib.loads(path.read_text(encoding="utf-8")), ())
    return keys


def mutate(path: Path, keys: tuple[str, ...]) -> None:
    """Change one text value in a TOML text file (re-written as JSON-compatible TOML strings)."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    node = data
    for key in keys[:-1]:
        node = node[key]
    node[keys[-1]] = node[keys[-1]] + " (changed)"
    path.write_text(_dump(data), encoding="utf-8")


def _dump(data: dict[str, Any], prefix: str = "") -> str:
    scalars = "".join(
        f"{json.dumps(k)} = {json.dumps(v, ensure_ascii=False)}\n"
        for k, v in data.items()
        if not isinstance(v, dict)
    )
    tables = ""
    for key, value in data.items():
        if isinstance(value, dict):
            name = f"{prefix}.{json.dumps(key)}" if prefix else json.dumps(key)
            tables += f"\n[{name}]\n" + _dump(value, name)
    return scalars + tables


FULL_PLAN = PlannedProcedure(sites=("neck", "chest_wall"), corticosteroid=True)
BUPIVACAINE_PLAN = dataclasses.replace(FULL_PLAN, local_anesthetic="bupivacaine")


@pytest.mark.parametrize("locale", LOCALES)
def test_any_text_change_changes_the_hash(tmp_path: Path, locale: str) -> None:
    folder = copy_definitions(tmp_path)
    text_file = folder / f"tpi_consent.{locale}.toml"
    original = text_file.read_text(encoding="utf-8")
    base = build_consent(FULL_PLAN, locale=locale, definition=load_copy(folder))
    other = "es" if locale == "en" else "en"
    other_base = build_consent(FULL_PLAN, locale=other, definition=load_copy(folder))
    bupivacaine_base = build_consent(BUPIVACAINE_PLAN, locale=locale, definition=load_copy(folder))
    keys = text_keys(text_file)
    assert len(keys) > 80
    q = load_questionnaire(folder / "tpi_screening.toml")
    for keys_ in keys:
        mutate(text_file, keys_)
        definition = load_copy(folder, q)
        changed = build_consent(FULL_PLAN, locale=locale, definition=definition)
        if keys_[:2] == ("medicines", "bupivacaine"):
            # Text of a medicine this plan does not use is not part of its document...
            assert changed.content_hash == base.content_hash, keys_
            # ...but is part of the document of a plan that uses it.
            changed = build_consent(BUPIVACAINE_PLAN, locale=locale, definition=definition)
            assert changed.content_hash != bupivacaine_base.content_hash, keys_
        else:
            assert changed.content_hash != base.content_hash, keys_
        # Only the chosen language is hashed: the other language's document is unchanged.
        assert (
            build_consent(FULL_PLAN, locale=other, definition=definition).content_hash
            == other_base.content_hash
        )
        text_file.write_text(original, encoding="utf-8")


def test_site_label_change_changes_the_hash(tmp_path: Path) -> None:
    folder = copy_definitions(tmp_path)
    base = build_consent(FULL_PLAN, definition=load_copy(folder)).content_hash
    mutate(folder / "tpi_screening.en.toml", ("questions", "pain_sites", "choices", "chest_wall"))
    assert build_consent(FULL_PLAN, definition=load_copy(folder)).content_hash != base


def test_version_change_changes_the_hash(tmp_path: Path) -> None:
    folder = copy_definitions(tmp_path)
    base = build_consent(FULL_PLAN, definition=load_copy(folder))
    structure = folder / "tpi_consent.toml"
    structure.write_text(
        structure.read_text(encoding="utf-8").replace(
            f'version = "{base.version}"', 'version = "9.9.9"'
        ),
        encoding="utf-8",
    )
    changed = build_consent(FULL_PLAN, definition=load_copy(folder))
    assert changed.version == "9.9.9" and changed.content_hash != base.content_hash


# --- definition errors ------------------------------------------------------------------------


def edit(folder: Path, name: str, old: str, new: str) -> None:
    path = folder / name
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.mark.parametrize(
    ("name", "old", "new", "message"),
    [
        (
            "tpi_consent.es.toml",
            'name = "Moretón"\n',
            "",
            r"^tpi_consent\.es\.toml: risks\.bruising\.name: missing text \(present in the 'en' file\)$",
        ),
        (
            "tpi_consent.en.toml",
            "[risks.soreness]\n",
            "[risks.sorenes]\n",
            r"^tpi_consent\.es\.toml: risks\.soreness\.name: missing text \(present in the 'es' file\)$"
            r"|^tpi_consent\.en\.toml: risks\.soreness\.name: missing text",
        ),
        (
            "tpi_consent.en.toml",
            'rare = "Rare"\n',
            'rare = "Rare"\nsometimes = "Sometimes"\n',
            r"^tpi_consent\.en\.toml: frequencies\.sometimes: text for an element the definition does not have$",
        ),
        (
            "tpi_consent.en.toml",
            "Call us at {phone}",
            "Call us at {fax}",
            r"^tpi_consent\.en\.toml: sections\.aftercare\.body: unknown placeholder '\{fax\}'",
        ),
        (
            "tpi_consent.toml",
            '"chest_wall", "upper_back", "shoulder"]',
            '"chest", "upper_back", "shoulder"]',
            r"^tpi_consent\.toml: risks\[6\]\.highlight_when\.includes_any: 'includes_any' value 'chest'",
        ),
        (
            "tpi_consent.toml",
            'id = "broken_needle"\ngroup = "serious"\nfrequency = "rare"',
            'id = "broken_needle"\ngroup = "serious"\nfrequency = "often"',
            r"^tpi_consent\.toml: risks\[10\]\.frequency: unknown frequency 'often'",
        ),
        (
            "tpi_consent.en.toml",
            'description = "A bruise may form where the needle went in."',
            'description = "A bruise forms in 20% of people."',
            r"^tpi_consent\.en\.toml: risks\.bruising\.description: say how often in words",
        ),
        (
            "tpi_consent.toml",
            '[[medicines]]\nid = "bupivacaine"\nkind = "local_anesthetic"\n',
            "",
            r"^tpi_consent\.toml: medicines: no medicine entry for local anaesthetic 'bupivacaine'$",
        ),
        (
            "tpi_consent.toml",
            'id = "interpreter"\nrequired = false\nfields = ["language"]',
            'id = "interpreter"\nrequired = false\nfields = ["dialect"]',
            r"^tpi_consent\.toml: signers\[4\]\.fields: unknown field 'dialect'",
        ),
        (
            "tpi_consent.toml",
            'procedure = "trigger_point_injection"',
            'procedure = "trigger_point_injection"\nprocedures = 1',
            r"^tpi_consent\.toml: procedures: unknown key",
        ),
        (
            "tpi_consent.toml",
            'highlight_when = { plan = "sites", includes_any = ["chest_wall", "upper_back", "shoulder"] }\n',
            "",
            r"^tpi_consent\.toml: risks\[6\]: has 'highlight' text but no 'highlight_when' condition$",
        ),
    ],
)
def test_definition_errors_name_file_and_key(
    tmp_path: Path, name: str, old: str, new: str, message: str
) -> None:
    folder = copy_definitions(tmp_path)
    edit(folder, name, old, new)
    with pytest.raises(DefinitionError) as info:
        load_copy(folder)
    assert re.search(message, str(info.value)), str(info.value)


def test_shipped_definition_header_says_it_is_a_template() -> None:
    header = (DEFINITIONS / "tpi_consent.toml").read_text(encoding="utf-8").split("\nid =")[0]
    assert "TEMPLATE" in header and "clinicians must review" in header
    doc = build_consent(PlannedProcedure(sites=("neck",)))
    assert "template" in doc.notice.lower()
    assert "modelo" in build_consent(PlannedProcedure(sites=("neck",)), locale="es").notice.lower()


def test_every_risk_names_a_source() -> None:
    definition = load_consent_definition()
    assert all(len(r.source) > 10 for r in definition.risks)
    assert {r.id for r in definition.risks} == set(BASE_RISKS) | STEROID_RISKS
