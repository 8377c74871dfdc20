"""Signed and blank packets: every section's text, headers on every page, escaping, layout, batches."""

from __future__ import annotations

import datetime as dt
import io
import json
import subprocess
from pathlib import Path
from typing import Any

import pikepdf
import pypdf
import pytest
from packet_fixtures import HOSTILE_NAME, SIGNED, make_record, no_weasyprint_logs, pdf_text, squash
from PIL import Image

from tpi_forms import clock
from tpi_forms._resources import definition_folder
from tpi_forms.consent.document import consent_hash_of
from tpi_forms.definitions.clinic import sample_clinic
from tpi_forms.errors import DefinitionError, TpiFormsError
from tpi_forms.pdf.batch import (
    BlankPacketRequest,
    iter_blank_packets,
    iter_packets,
    render_blank_packets,
    render_packets,
)
from tpi_forms.pdf.packet import (
    MAX_ANSWER_CHARS,
    BlankPatient,
    PacketError,
    PacketRenderer,
    PacketSettings,
    assemble_consent,
    render_blank_packet,
    render_packet,
)
from tpi_forms.record.model import ConsentRecord, record_hash
from tpi_forms.screening.procedure import PlannedProcedure

LONG_NAME = ("Александра-Εὐφροσύνη-Wolfeschlegelsteinhausenbergerdorff-ბერიძე-Õunapuu" * 3)[:118]
LONG_ANSWER = ("Paracetamol/Acetaminophen-500mg-" + "Ибупрофен" * 8 + "-Ωμεπραζόλη-") * 4
TITLE_EN = "Consent for trigger point injection: screening and signatures"
PAGE_MM = {"letter": (215.9, 279.4), "a4": (210.0, 297.0)}


@pytest.fixture(scope="module")
def en(signed_en: tuple[ConsentRecord, bytes]) -> tuple[ConsentRecord, bytes]:
    return signed_en  # rendered once for the run (tests/conftest.py), at SIGNED


@pytest.fixture(scope="module")
def es_hostile() -> bytes:
    with no_weasyprint_logs():
        return render_packet(make_record("es", name=HOSTILE_NAME, representative=True))


@pytest.fixture(scope="module", params=["letter", "a4"])
def long_input(request: pytest.FixtureRequest) -> tuple[str, bytes]:
    record = make_record("en", name=LONG_NAME, answers={"current_medicines": LONG_ANSWER})
    renderer = PacketRenderer(PacketSettings(page_size=request.param))
    with no_weasyprint_logs():
        return request.param, render_packet(record, renderer=renderer)


def with_consent(record: ConsentRecord, **changes: Any) -> ConsentRecord:
    """``record`` with its consent changed (and re-hashed), as a clinic's own consent would be."""
    consent = {**json.loads(json.dumps(record.to_dict()["consent"])), **changes}
    consent["content_hash"] = consent_hash_of(consent)
    return ConsentRecord(**{**record.__dict__, "consent": consent})


@pytest.fixture(scope="module")
def blank_es() -> bytes:
    with no_weasyprint_logs():
        return render_blank_packet(PlannedProcedure(corticosteroid=True), locale="es")


def embedded(pdf: bytes) -> bytes:
    data: bytes = pypdf.PdfReader(io.BytesIO(pdf)).attachments["record.json"][0]
    return data


def test_every_section_is_present(en: tuple[ConsentRecord, bytes]) -> None:
    record, pdf = en
    text = squash(" ".join(pdf_text(pdf)))
    for expected in [
        "Summary",
        "Screening result",
        "Review: a clinician must decide",
        "You take a blood thinner",  # the finding's patient message
        "Screening answers",
        "Where is your pain?",  # a label, not the id pain_sites
        "Neck and Upper back",
        "Apixaban",
        "Consent as shown to the patient",
        "What is a trigger point shot?",
        "Collapsed lung",
        "Steroid in the shot",
        "Signatures",
        "Role Clinician",  # the consent's title of the practitioner's role
        "Role Interpreter",
        "Language Español",  # the consent's label of the interpreter's field
        "Drawn by hand on the screen",
        "Audit trail",
        "Form opened",
        "Consent read for 5 min 12 s",
        "Signed: Patient",
        "Packet made",
        "kiosk-7",
        record.consent_hash,
    ]:
        assert squash(expected) in text, expected
    assert "pain_sites" not in text
    for event_id in ("form_opened", "consent_time_on_page", "packet_generated", "seconds="):
        assert event_id not in text, event_id  # the record keeps the ids, the page prints words
    assert [e.event for e in record.audit][:2] == ["form_opened", "section_viewed"]


def test_signing_times_show_their_zone(en: tuple[ConsentRecord, bytes]) -> None:
    text = " ".join(pdf_text(en[1]))
    assert "March 2, 2026, 9:30" in text
    assert "Central Standard Time (GMT-06:00)" in text


def test_header_and_footer_on_every_page(en: tuple[ConsentRecord, bytes]) -> None:
    pages = pdf_text(en[1])
    assert len(pages) >= 5
    for number, page in enumerate(pages, start=1):
        flat = squash(page)
        assert squash("Sample Pain Clinic (fictitious)") in flat
        assert squash("Patient: Alex Example") in flat
        assert squash("Date of birth: April 12, 1980") in flat
        assert squash("Consent version: 0.2.0") in flat
        assert squash(TITLE_EN) in flat
        assert (
            squash(
                "Clinical content: template tpi_consent 0.2.0 — for review by the clinic's clinicians."
            )
            in flat
        )
        assert "reviewed" not in flat
        assert f"Page{number}of{len(pages)}" in flat


def test_record_is_embedded_and_its_hash_printed(en: tuple[ConsentRecord, bytes]) -> None:
    record, pdf = en
    data = embedded(pdf)
    final = ConsentRecord.from_json(data)
    assert final.to_json() == data
    assert final.audit[:-1] == record.audit
    assert final.audit[-1].event == "packet_generated"
    assert final.audit[-1].at == SIGNED
    assert record_hash(final) in squash(pdf_text(pdf)[-1])


def test_metadata_names_the_facility_and_language(en: tuple[ConsentRecord, bytes]) -> None:
    with pikepdf.open(io.BytesIO(en[1])) as pdf:
        meta = pdf.open_metadata()
        assert meta.pdfa_status == "3A"
        assert meta["dc:title"] == TITLE_EN
        assert [round(float(x)) for x in pdf.pages[0].mediabox] == [0, 0, 612, 792]  # Letter
        assert str(pdf.Root.Lang) == "en"
        assert pdf.Root.AF[0].AFRelationship == "/Data"
    info = pypdf.PdfReader(io.BytesIO(en[1])).metadata
    assert info is not None and info.author == "Sample Pain Clinic (fictitious)"
    assert "trigger_point_injection" in str(info["/Keywords"])
    assert info.creation_date == SIGNED


def test_hostile_text_prints_literally(es_hostile: bytes) -> None:
    text = " ".join(pdf_text(es_hostile))
    assert "<img src=x onerror=alert(1)> {{7*7}}" in text
    assert "Página 1 de" in text
    assert squash(
        "Contenido clínico: plantilla tpi_consent 0.2.0, para que la revisen los profesionales"
    ) in squash(text)
    assert "Representante legal" in text and "Mother" in text
    data = json.loads(embedded(es_hostile))
    assert data["answers"]["patient_name"] == HOSTILE_NAME


def test_hostile_text_is_escaped_in_the_html() -> None:
    html = PacketRenderer().html(make_record("en", name=HOSTILE_NAME), "0" * 64)
    assert "<img src=x" not in html
    assert "&lt;img src=x onerror=alert(1)&gt; {{7*7}}" in html


def _right_margin_is_blank(png: Path, page_width_mm: float) -> bool:
    image = Image.open(png).convert("L")
    width, height = image.size
    margin = round(width * 12 / page_width_mm)  # 12 mm of the page (its margin is 16 mm)
    strip = image.crop((width - margin, 0, width, height))
    extrema = strip.getextrema()
    assert isinstance(extrema[0], int)
    return extrema[0] > 200  # no dark pixel


def test_long_names_and_answers_do_not_overflow(
    long_input: tuple[str, bytes], tmp_path: Path
) -> None:
    size, pdf = long_input
    text = squash(" ".join(pdf_text(pdf)))
    assert squash(LONG_NAME) in text
    assert squash(LONG_ANSWER) in text
    (tmp_path / "long.pdf").write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-png", "-r", "50", str(tmp_path / "long.pdf"), str(tmp_path / "p")],
        check=True,
    )
    pages = sorted(tmp_path.glob("p-*.png"))
    assert len(pages) == len(pypdf.PdfReader(io.BytesIO(pdf)).pages)
    width_mm, height_mm = PAGE_MM[size]
    with Image.open(pages[0]) as first:
        assert abs(first.height / first.width - height_mm / width_mm) < 0.01  # the paper asked for
    assert all(_right_margin_is_blank(p, width_mm) for p in pages)


def test_right_margin_check_sees_overflow(tmp_path: Path) -> None:
    """The layout check above can fail: a line that cannot wrap reaches the edge."""
    from tpi_forms.pdf.render import PdfMetadata, render_pdf

    html = "<p style='white-space: nowrap; font-size: 20pt'>" + "W" * 80 + "</p>"
    (tmp_path / "wide.pdf").write_bytes(render_pdf(html, metadata=PdfMetadata("t", "en", "c")))
    subprocess.run(
        ["pdftoppm", "-png", "-r", "50", str(tmp_path / "wide.pdf"), str(tmp_path / "w")],
        check=True,
    )
    assert not _right_margin_is_blank(sorted(tmp_path.glob("w-*.png"))[0], PAGE_MM["a4"][0])


def test_answers_longer_than_the_limit_are_refused() -> None:
    record = make_record("en")
    answers = {**record.answers, "current_medicines": "x" * (MAX_ANSWER_CHARS + 1)}
    with pytest.raises(PacketError, match="current_medicines"):
        render_packet(ConsentRecord(**{**record.__dict__, "answers": answers}))


def test_blank_packet_has_boxes_lines_consent_and_signature_blocks(blank_es: bytes) -> None:
    text = squash(" ".join(pdf_text(blank_es)))
    for expected in [
        "(formulario en papel)",
        "¿Dónde le duele?",
        "Cuello",
        "Marque todas las que correspondan",
        "Consentimiento para inyección en puntos gatillo",
        "Esteroide en la inyección",
        "Firmas",
        "Representante legal",
        "Relación con el paciente",  # the consent's own label of the representative's field
        "Profesional de salud",  # the consent's title of the practitioner's role
        "Intérprete",
        "Testigo",
    ]:
        assert squash(expected) in text, expected
    with pikepdf.open(io.BytesIO(blank_es)) as pdf:
        assert pdf.open_metadata().pdfa_status == "3A"
        assert len(pdf.attachments) == 0


def clinic_words(folder: Path, change: tuple[str, str] | None = None, locale: str = "en") -> Path:
    """A clinic's own copy of the packet words in ``folder``, one line of ``locale`` changed."""
    folder.mkdir(exist_ok=True)
    for shipped in definition_folder().iterdir():
        if shipped.name.startswith("packet.") and shipped.name.endswith(".toml"):
            text = shipped.read_text(encoding="utf-8")
            if change is not None and shipped.name == f"packet.{locale}.toml":
                assert change[0] in text
                text = text.replace(*change)
            (folder / shipped.name).write_text(text, encoding="utf-8")
    return folder


def test_a_clinic_uses_its_own_packet_words(
    tmp_path: Path, en: tuple[ConsentRecord, bytes]
) -> None:
    words = clinic_words(
        tmp_path / "words",
        ('packet_title = "{consent_title}: screening and signatures"', 'packet_title = "Own"'),
    )
    (words / "packet.es.toml").write_text(
        (words / "packet.es.toml")
        .read_text(encoding="utf-8")
        .replace(
            'blank_title = "{consent_title}', 'blank_title = "{consent_version} {consent_title}'
        ),
        encoding="utf-8",
    )
    settings = PacketSettings(text_dir=str(words), variant="pdf/a-3b")
    renderer = PacketRenderer(settings)
    pdf = renderer.render(make_record("en"))
    assert "Own" in pdf_text(pdf)[0].splitlines()[0]
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        assert doc.open_metadata().pdfa_status == "3B"
        assert doc.open_metadata()["dc:title"] == "Own"
    blank = pdf_text(renderer.render_blank(locale="es"))[0]
    assert squash("0.2.0 Consentimiento para inyección en puntos gatillo") in squash(blank)
    assert "Own" not in " ".join(pdf_text(en[1]))  # shipped words: make_record("en")'s packet


def test_a_clinic_words_folder_is_checked_like_the_shipped_one(tmp_path: Path) -> None:
    words = clinic_words(tmp_path / "words", ('page_of = "de"\n', ""), locale="es")
    with pytest.raises(DefinitionError, match=r"^packet\.es\.toml: page_of: missing text"):
        PacketRenderer(PacketSettings(text_dir=str(words)))
    (words / "packet.es.toml").unlink()
    (words / "packet.en.toml").write_text(
        'stray = "x"\n' + (words / "packet.en.toml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    with pytest.raises(DefinitionError, match=r"^packet\.en\.toml: stray: .* shipped 'en' file"):
        PacketRenderer(PacketSettings(text_dir=str(words)))


def test_the_old_packet_words_file_in_a_template_folder_is_refused(tmp_path: Path) -> None:
    (tmp_path / "pdf").mkdir()
    (tmp_path / "pdf" / "packet_text.toml").write_text("[en]\n", encoding="utf-8")
    with pytest.raises(PacketError, match="PacketSettings.text_dir"):
        PacketRenderer(PacketSettings(template_dirs=(str(tmp_path),)))


@pytest.mark.slow
def test_render_packets_keeps_order_and_reports_progress() -> None:
    records = [make_record("en", name=f"Patient Number {i}") for i in range(3)]
    seen: list[tuple[int, int]] = []
    pdfs = render_packets(
        records, workers=2, progress=lambda done, total: seen.append((done, total))
    )
    assert seen == [(1, 3), (2, 3), (3, 3)]
    for i, pdf in enumerate(pdfs):
        assert json.loads(embedded(pdf))["answers"]["patient_name"] == f"Patient Number {i}"


# --- pre-filled blank packets ------------------------------------------------------------------

PATIENT = BlankPatient("Ana <b>Pérez</b> {{7*7}}", dt.date(1980, 4, 12))


def test_a_blank_packet_prints_the_patient_on_every_page_and_in_the_fields() -> None:
    with no_weasyprint_logs():
        pdf = render_blank_packet(locale="es", patient=PATIENT)
    pages = pdf_text(pdf)
    for page in pages:
        assert squash("Paciente: Ana <b>Pérez</b> {{7*7}}") in squash(page)
        assert squash("Fecha de nacimiento: 12 de abril de 1980") in squash(page)
    first = squash(pages[0])
    name_field = first.index(squash("Escriba su nombre y sus apellidos."))  # the name question
    assert first[name_field:].startswith(squash("Escriba su nombre y sus apellidos. Ana <b>Pérez"))
    assert squash("Su fecha de nacimiento 12 de abril de 1980") in first


def test_a_blank_packet_escapes_the_patient() -> None:
    renderer = PacketRenderer()
    html = renderer.blank_html(
        PlannedProcedure(),
        sample_clinic(),
        "en",
        assemble_consent(PlannedProcedure(), sample_clinic(), "en"),
        PATIENT,
    )
    assert "<b>Pérez</b>" not in html
    assert html.count("Ana &lt;b&gt;Pérez&lt;/b&gt; {{7*7}}") == 2  # header and name field
    assert html.count("April 12, 1980") == 2


def test_without_a_patient_the_fields_stay_lines_to_write_on(blank_es: bytes) -> None:
    first = squash(pdf_text(blank_es)[0])
    assert squash("Paciente: Fecha de nacimiento: Versión del consentimiento") in first
    assert squash("Escriba su nombre y sus apellidos. Su fecha de nacimiento ¿Quién llena") in first
    assert squash("Su dolor") in first


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"name": "x" * 201}, "longer than 200 characters"),
        ({"date_of_birth": clock.latest_today() + dt.timedelta(days=1)}, "in the future"),
        ({"date_of_birth": dt.datetime(1980, 4, 12, 8, 0)}, "without a time"),
        ({"date_of_birth": "1980-04-12"}, "must be a date"),
        ({"name": 42}, "must be text"),
    ],
)
def test_blank_patient_limits(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(PacketError, match=message) as raised:
        BlankPatient(**kwargs)
    assert "xxxx" not in str(raised.value) and "1980" not in str(raised.value)


def test_a_date_of_birth_that_is_today_somewhere_is_not_in_the_future() -> None:
    assert BlankPatient(date_of_birth=clock.latest_today()).date_of_birth == clock.latest_today()


def test_blank_patient_fields_are_optional() -> None:
    assert BlankPatient("  ") == BlankPatient()
    pdf = render_blank_packet(patient=BlankPatient(date_of_birth=dt.date(1979, 1, 31)))
    first = squash(pdf_text(pdf)[0])
    assert squash("Patient: Date of birth: January 31, 1979") in first


@pytest.mark.slow
def test_render_blank_packets_keeps_order_and_reports_progress() -> None:
    items = [
        BlankPacketRequest(
            PlannedProcedure(corticosteroid=i == 1),
            locale=("en", "es", "en")[i],
            patient=BlankPatient(f"Patient Number {i}"),
        )
        for i in range(3)
    ]
    seen: list[tuple[int, int]] = []
    pdfs = render_blank_packets(
        items, workers=2, progress=lambda done, total: seen.append((done, total))
    )
    assert seen == [(1, 3), (2, 3), (3, 3)]
    texts = [squash(" ".join(pdf_text(pdf))) for pdf in pdfs]
    for i, text in enumerate(texts):
        assert squash(f"Patient Number {i}") in text
    assert squash("(formulario en papel)") in texts[1]
    assert squash("Esteroide en la inyección") in texts[1]
    assert squash("Steroid in the shot") not in texts[0]


def test_a_failing_blank_packet_stops_the_batch() -> None:
    items = [BlankPacketRequest(locale="en"), BlankPacketRequest(locale="xx")]
    with pytest.raises(TpiFormsError, match="'xx'"):
        render_blank_packets(items, workers=2)


# --- the procedure comes from the consent; page size ---------------------------------------------


def test_no_procedure_is_named_in_the_packet_words() -> None:
    for locale in ("en", "es"):
        words = (definition_folder() / f"packet.{locale}.toml").read_text(encoding="utf-8")
        assert "trigger point" not in words.lower() and "puntos gatillo" not in words.lower()


def test_a_clinic_consent_names_its_own_procedure() -> None:
    record = with_consent(
        make_record("es"),
        title="Consentimiento para punción seca",
        procedure="dry_needling",
        definition_id="clinic_dry_needling",
        version="2.3.0",
    )
    pdf = render_packet(record)
    pages = pdf_text(pdf)
    title = "Consentimiento para punción seca: evaluación y firmas"
    for page in pages:
        assert squash(title) in squash(page)
        assert squash("plantilla clinic_dry_needling 2.3.0") in squash(page)
        assert "gatillo:" not in page  # the shipped consent's title is nowhere in the header
    assert squash("Formulario de consentimiento Consentimiento para punción seca") in squash(
        pages[0]
    )
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        assert doc.open_metadata()["dc:title"] == title
    keywords = str(pypdf.PdfReader(io.BytesIO(pdf)).metadata["/Keywords"])  # type: ignore[index]
    assert "dry_needling" in keywords and "trigger" not in keywords


def test_an_unknown_placeholder_in_the_words_is_a_clear_error(tmp_path: Path) -> None:
    words = clinic_words(tmp_path, ("{consent_title}: screening", "{procedure_title}: screening"))
    with pytest.raises(
        DefinitionError,
        match=r"^packet\.en\.toml: packet_title: unknown placeholder \{procedure_title\} "
        r"\(this text may use: \{consent_id\}, \{consent_title\}, \{consent_version\}\)$",
    ):
        PacketRenderer(PacketSettings(text_dir=str(words)))


@pytest.mark.parametrize("size", ["legal", "A4", "", "letter; margin: 0"])
def test_unknown_page_sizes_are_refused(size: str) -> None:
    with pytest.raises(PacketError, match="expected one of: letter, a4"):
        PacketSettings(page_size=size)


@pytest.mark.parametrize("size, box", [("letter", [0, 0, 612, 792]), ("a4", [0, 0, 595, 842])])
def test_blank_packets_print_on_the_page_size_asked_for(size: str, box: list[int]) -> None:
    renderer = PacketRenderer(PacketSettings(page_size=size))
    with no_weasyprint_logs():
        pdf = renderer.render_blank()
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        assert {tuple(round(float(x)) for x in page.mediabox) for page in doc.pages} == {tuple(box)}


@pytest.mark.parametrize("size", ["letter", "a4"])
def test_a_long_prefilled_name_does_not_overflow(size: str, tmp_path: Path) -> None:
    name = (LONG_NAME * 2)[:200]
    renderer = PacketRenderer(PacketSettings(page_size=size))
    with no_weasyprint_logs():
        pdf = renderer.render_blank(patient=BlankPatient(name, dt.date(1980, 4, 12)))
    pages = [squash(page) for page in pdf_text(pdf)]
    assert squash(name) in pages[0]  # whole in the name field
    assert all(squash(f"Patient: {name[:79]}…") in page for page in pages)  # cut in the header
    (tmp_path / "blank.pdf").write_bytes(pdf)
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            "50",
            "-f",
            "1",
            "-l",
            "2",
            str(tmp_path / "blank.pdf"),
            str(tmp_path / "b"),
        ],
        check=True,
    )
    width_mm, height_mm = PAGE_MM[size]
    for png in sorted(tmp_path.glob("b-*.png")):
        assert _right_margin_is_blank(png, width_mm)
        with Image.open(png) as image:
            top = image.convert("L").crop((0, 0, image.width, round(image.height * 4 / height_mm)))
            low = top.getextrema()[0]
            assert isinstance(low, int) and low > 200  # the header stays off the top 4 mm


def test_iter_blank_packets_can_stop_early() -> None:
    items = [BlankPacketRequest(patient=BlankPatient(f"Patient Number {i}")) for i in range(3)]
    seen: list[tuple[int, int]] = []
    stream = iter_blank_packets(items, workers=2, progress=lambda d, t: seen.append((d, t)))
    index, pdf = next(stream)  # (index, pdf) as soon as one is ready
    stream.close()  # the pool shuts down cleanly, the packets not started are cancelled
    assert squash(f"Patient Number {index}") in squash(pdf_text(pdf)[0])
    assert seen == [(1, 3)] and list(stream) == []


def test_iter_packets_yields_index_and_pdf() -> None:
    ((index, pdf),) = iter_packets([make_record("en", name="Patient Number 0")])
    assert index == 0
    assert json.loads(embedded(pdf))["answers"]["patient_name"] == "Patient Number 0"
