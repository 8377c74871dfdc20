"""The shipped consent 0.2.0: what each plan variant says, in English and Spanish."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from tpi_forms.consent.document import ConsentDocument, build_consent
from tpi_forms.definitions.clinic import Clinic, load_clinic, sample_clinic
from tpi_forms.definitions.clinic_consent import ClinicConsentSettings
from tpi_forms.errors import ClinicError, DefinitionError
from tpi_forms.screening.procedure import PlannedProcedure

LOCALES = ("en", "es")
VARIANTS = [
    pytest.param(PlannedProcedure(sites=("neck",)), id="neck"),
    pytest.param(PlannedProcedure(sites=("lower_back",), corticosteroid=True), id="steroid"),
    pytest.param(PlannedProcedure(sites=("leg",), local_anesthetic="bupivacaine"), id="bupi"),
    pytest.param(PlannedProcedure(), id="sites-not-given"),
]


def text(doc: ConsentDocument, section: str) -> str:
    return " ".join(doc.section(section).paragraphs)


def with_settings(**settings: object) -> Clinic:
    return dataclasses.replace(sample_clinic(), consent=ClinicConsentSettings(**settings))  # type: ignore[arg-type]


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("plan", VARIANTS)
def test_signer_meanings_are_true_whenever_signed(plan: PlannedProcedure, locale: str) -> None:
    doc = build_consent(plan, locale=locale)
    assert doc.version == "0.2.0"
    patient = doc.signer_role("patient").meaning
    representative = doc.signer_role("legal_representative").meaning
    practitioner = doc.signer_role("practitioner").meaning
    witness = doc.signer_role("witness").meaning
    if locale == "en":
        for meaning in (patient, representative):
            assert "chance to ask questions" in meaning and "will talk with me" in meaning
            assert "answered" not in meaning and "talked with" not in meaning
        assert practitioner.startswith("I sign after I talked with")
        for word in ("explained", "risks", "benefits", "other choices", "no treatment", "answered"):
            assert word in practitioner
        assert "patient or their legal representative" in witness
        assert "person above" not in witness
        questions = text(doc, "questions")
        assert "will talk with you" in questions and "talked with you" not in questions
    else:
        for meaning in (patient, representative):
            assert "oportunidad de hacer preguntas" in meaning and "hablará conmigo" in meaning
            assert "respondieron" not in meaning
        assert practitioner.startswith("Firmo después de hablar")
        for word in ("expliqué", "riesgos", "beneficios", "otras opciones", "Contesté"):
            assert word in practitioner
        assert "paciente o a su representante legal" in witness
        interpreter = doc.signer_role("interpreter").meaning
        assert interpreter.startswith("Interpreté") and "leal saber y entender" in interpreter
        assert doc.signer_role("practitioner").title == "Profesional de salud"


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("plan", VARIANTS)
def test_medicine_text_is_correct(plan: PlannedProcedure, locale: str) -> None:
    doc = build_consent(plan, locale=locale)
    purposes = {m.id: m.purpose for m in doc.medicines}
    if plan.local_anesthetic == "lidocaine":
        assert ("1 to 2 hours" if locale == "en" else "1 o 2 horas") in purposes["lidocaine"]
    if plan.corticosteroid:
        steroid = text(doc, "steroid") + purposes["corticosteroid"]
        assert "swelling in the muscle" not in steroid and "baja la hinchazón" not in steroid
        assert ("not swollen" if locale == "en" else "no están hinchados") in steroid
        permanent = "permanent" if locale == "en" else "para siempre"
        assert permanent in doc.risk("skin_thinning").description
        assert permanent in doc.risk("fat_dimpling").description
    else:
        assert "steroid" not in [s.id for s in doc.sections]


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("plan", VARIANTS)
def test_collapsed_lung_is_marked_for_lung_sites_and_unknown_sites(
    plan: PlannedProcedure, locale: str
) -> None:
    risk = build_consent(plan, locale=locale).risk("pneumothorax")
    expected = plan.sites is None or "neck" in plan.sites
    assert risk.highlighted == expected
    if expected:
        assert risk.highlight is not None
        assert "chest or upper back" not in risk.highlight
        assert ("near your lungs" if locale == "en" else "cerca de los pulmones") in risk.highlight


@pytest.mark.parametrize("locale", LOCALES)
def test_clinic_settings_fill_the_consent(locale: str) -> None:
    plan = PlannedProcedure(sites=("neck",))
    plain = build_consent(plan, locale=locale)
    clinic = sample_clinic()
    assert "team" not in [s.id for s in plain.sections]
    assert text(plain, "aftercare").count(clinic.phone) == 2  # no after-hours number: the clinic's
    free = "A paper copy is free." if locale == "en" else "La copia en papel es gratis."
    assert free in text(plain, "electronic_signature")
    assert ("myofascial" if locale == "en" else "miofascial") in text(plain, "reason")

    own = with_settings(
        after_hours_phone="555-0177",
        trainees=True,
        paper_copy_fee=True,
        diagnosis={"en": "Neck muscle pain after a fall", "es": "Dolor del cuello tras una caída"},
    )
    doc = build_consent(plan, own, locale)
    assert "team" in [s.id for s in doc.sections]
    assert ("in training" if locale == "en" else "en formación") in text(doc, "team")
    assert "555-0177" in text(doc, "aftercare")
    assert free not in text(doc, "electronic_signature")
    diagnosis = own.consent.diagnosis_in(locale)
    assert diagnosis is not None
    assert diagnosis in text(doc, "reason")
    assert doc.content_hash != plain.content_hash


def test_clinic_file_consent_table(tmp_path: Path) -> None:
    source = Path(__file__).resolve().parent.parent / "examples" / "clinic.toml"
    path = tmp_path / "clinic.toml"
    path.write_text(
        source.read_text("utf-8")
        + '\n[consent]\nafter_hours_phone = "555-0111"\ntrainees = true\n'
        + 'diagnosis = { en = "Shoulder muscle pain" }\n',
        "utf-8",
    )
    clinic = load_clinic(path)
    assert clinic.consent.after_hours_phone == "555-0111" and clinic.consent.trainees
    assert clinic.consent.diagnosis_in("en") == "Shoulder muscle pain"
    assert clinic.consent.diagnosis_in("es") is None
    assert Clinic.from_dict(clinic.to_dict()) == clinic
    import pickle

    assert pickle.loads(pickle.dumps(clinic)) == clinic and hash(clinic.consent)
    es = build_consent(PlannedProcedure(sites=("shoulder",)), clinic, "es")
    assert "miofascial" in text(es, "reason")  # no Spanish diagnosis: the default wording
    path.write_text(source.read_text("utf-8") + "\n[consent]\ntrainee = true\n", "utf-8")
    with pytest.raises(DefinitionError, match=r"consent\.trainee: unknown key"):
        load_clinic(path)


def test_a_record_clinic_from_before_the_settings_reads_as_the_defaults() -> None:
    data = sample_clinic().to_dict()
    del data["consent"]
    assert Clinic.from_dict(data).consent == ClinicConsentSettings()
    with pytest.raises(ClinicError, match="after-hours phone"):
        ClinicConsentSettings(after_hours_phone=" ")
    with pytest.raises(ClinicError, match="diagnosis for 'en'"):
        ClinicConsentSettings(diagnosis={"en": "x" * 201})


@pytest.mark.parametrize("locale", LOCALES)
def test_botulinum_toxin_is_an_optional_plan_of_clinics_that_offer_it(locale: str) -> None:
    from tpi_forms.consent.document import consent_hash_of
    from tpi_forms.errors import ProcedureError

    plan = PlannedProcedure(sites=("neck",), botulinum_toxin=True)
    with pytest.raises(ProcedureError, match="does not offer botulinum toxin"):
        build_consent(plan, locale=locale)
    doc = build_consent(plan, with_settings(botulinum_toxin=True), locale)
    assert [m.id for m in doc.medicines] == ["lidocaine", "botulinum_toxin"]
    body = text(doc, "botulinum_toxin")
    if locale == "en":
        assert "off-label" in body and "hours to weeks later" in body
        assert "trouble swallowing, speaking or breathing" in body
    else:
        assert "fuera de indicación" in body and "horas o semanas después" in body
        assert "tragar, hablar o respirar" in body
    assert [r.id for r in doc.risks if r.group == "botulinum_toxin"] == [
        "toxin_spread",
        "toxin_weakness",
    ]
    assert "FDA" in doc.risk("toxin_spread").source
    data = doc.to_dict()
    plan_data = data["plan"]
    assert isinstance(plan_data, dict) and plan_data["botulinum_toxin"] is True
    assert ConsentDocument.from_dict(data).plan.botulinum_toxin
    # Without the toxin the plan keeps its 0.1 shape, so 0.1.0 records hash as they did.
    plain = build_consent(PlannedProcedure(sites=("neck",)), locale=locale).to_dict()
    plain_plan = plain["plan"]
    assert isinstance(plain_plan, dict) and "botulinum_toxin" not in plain_plan
    assert consent_hash_of(plain) == plain["content_hash"]
    other = build_consent(PlannedProcedure(sites=("neck",)), with_settings(botulinum_toxin=True))
    assert "botulinum_toxin" not in [s.id for s in other.sections]
