"""Consent pages laid out once (tpi_forms.pdf.consent_cache): the same packets, made faster.

A packet whose consent pages come from the cache must be the packet a whole layout makes, byte
for byte, for every kind of record (languages, a logo, A4, the clinician's part, a long
answer), with each patient's own running header on every page; the cache is bounded, keyed by
the consent and dropped when a stylesheet changes; a clinic template without the placeholder
still gets the whole packet.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import shutil
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from packet_fixtures import make_record, pdf_text, squash
from review_fixtures import review_record
from test_logo import logo_png

from tpi_forms._resources import static_folder
from tpi_forms.definitions.clinic import Clinic, load_clinic
from tpi_forms.errors import PacketError
from tpi_forms.pdf import consent_cache, render
from tpi_forms.pdf.consent_cache import ConsentPageCache
from tpi_forms.pdf.packet import PacketRenderer, PacketSettings
from tpi_forms.record.model import ConsentRecord
from tpi_forms.verify.packet import verify_packet

GENERATED = dt.datetime(2026, 3, 2, 15, 40, tzinfo=dt.UTC)
EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "clinic.toml"


@pytest.fixture(scope="module")
def logo_clinic(tmp_path_factory: pytest.TempPathFactory) -> Clinic:
    folder = tmp_path_factory.mktemp("clinic")
    (folder / "logo.png").write_bytes(logo_png())
    text = EXAMPLE.read_text(encoding="utf-8").replace('# logo = "logo.png"', 'logo = "logo.png"')
    (folder / "clinic.toml").write_text(text, encoding="utf-8")
    return load_clinic(folder / "clinic.toml")


def whole(settings: PacketSettings | None = None) -> PacketRenderer:
    """A renderer that lays out every packet whole (no consent page cache)."""
    base = settings or PacketSettings()
    return PacketRenderer(
        PacketSettings(
            template_dirs=base.template_dirs,
            page_size=base.page_size,
            consent_cache_entries=0,
        )
    )


RECORDS: dict[str, Callable[[Clinic], ConsentRecord]] = {
    "english": lambda _: make_record("en"),
    "spanish": lambda _: make_record("es"),
    "no steroid": lambda _: make_record("en", steroid=False),
    "representative": lambda _: make_record("en", representative=True),
    "logo": lambda clinic: make_record("en", clinic=clinic),
    "clinician's part": lambda _: review_record("en"),
    "clinician's part in Spanish": lambda _: review_record("es"),
    "long answer": lambda _: make_record(
        answers={"current_medicines": "Ibuprofen 200 mg as needed. " * 70}
    ),
}


@pytest.fixture(scope="module")
def whole_packet(logo_clinic: Clinic) -> Callable[[str], bytes]:
    """The whole packet (`whole`, shipped settings) of ``RECORDS[kind]`` at GENERATED: the
    reference several tests compare their cached renders with, laid out once per kind."""

    @functools.cache
    def made(kind: str) -> bytes:
        return whole().render(RECORDS[kind](logo_clinic), generated_at=GENERATED)

    return made


@pytest.mark.parametrize("kind", sorted(RECORDS))
def test_a_cached_packet_is_the_whole_packet_byte_for_byte(
    kind: str, logo_clinic: Clinic, whole_packet: Callable[[str], bytes]
) -> None:
    record = RECORDS[kind](logo_clinic)
    cached = PacketRenderer()
    first = cached.render(record, generated_at=GENERATED)
    second = cached.render(record, generated_at=GENERATED)
    assert (cached.consent_cache.misses, cached.consent_cache.hits) == (1, 1)
    expected = whole_packet(kind)
    assert first == expected
    assert second == expected


def test_a4_packets_too() -> None:
    settings = PacketSettings(page_size="a4")
    record = make_record("en")
    cached = PacketRenderer(settings)
    cached.render(record, generated_at=GENERATED)
    assert cached.render(record, generated_at=GENERATED) == whole(settings).render(
        record, generated_at=GENERATED
    )
    assert cached.consent_cache.hits == 1


def test_every_consent_page_has_its_own_patients_header() -> None:
    renderer = PacketRenderer()
    names = ("Ana Example", "Bo Sample", "Chris Test")
    packets = [renderer.render(make_record(name=n), generated_at=GENERATED) for n in names]
    assert (renderer.consent_cache.misses, renderer.consent_cache.hits) == (1, 2)
    for name, pdf in zip(names, packets, strict=True):
        pages = [squash(p) for p in pdf_text(pdf)]
        consent = [p for p in pages if squash("Consent as shown to the patient") in p]
        assert consent
        for number, page in enumerate(pages, start=1):
            assert squash(f"Patient: {name}") in page
            assert squash(f"Page {number} of {len(pages)}") in page
            assert all(other not in page for other in names if other != name)
        assert verify_packet(pdf).ok


def test_another_consent_is_another_entry_and_the_cache_is_bounded() -> None:
    renderer = PacketRenderer(PacketSettings(consent_cache_entries=2))
    records = [make_record("en"), make_record("es"), make_record("en", steroid=False)]
    for record in records:
        renderer.render(record, generated_at=GENERATED)
    cache = renderer.consent_cache
    assert (cache.misses, cache.hits, cache.entries) == (3, 0, 2)
    renderer.render(records[0], generated_at=GENERATED)  # the oldest went out
    assert (cache.misses, cache.entries) == (4, 2)
    renderer.render(records[2], generated_at=GENERATED)  # still held
    assert cache.hits == 1


def test_a_consent_larger_than_the_page_limit_is_not_kept(
    whole_packet: Callable[[str], bytes],
) -> None:
    renderer = PacketRenderer(PacketSettings(consent_cache_pages=2))
    record = make_record("en")  # RECORDS["english"]
    pdf = renderer.render(record, generated_at=GENERATED)
    assert renderer.consent_cache.entries == 0
    assert pdf == whole_packet("english")


def test_no_cache_keeps_nothing() -> None:
    renderer = PacketRenderer(PacketSettings(consent_cache_entries=0))
    renderer.render(make_record("en"), generated_at=GENERATED)
    assert renderer.consent_cache.entries == renderer.consent_cache.misses == 0


def test_limits_below_zero_are_refused() -> None:
    with pytest.raises(PacketError, match="0 or more"):
        PacketSettings(consent_cache_pages=-1)
    with pytest.raises(PacketError, match="0 or more"):
        ConsentPageCache(max_entries=-1)


def test_a_stylesheet_changed_on_disk_drops_the_laid_out_pages(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A copy of the static folder, so that touching a file here changes nothing elsewhere.
    static = tmp_path / "static"
    shutil.copytree(static_folder(), static)
    monkeypatch.setattr(render, "static_folder", lambda: static)
    renderer = PacketRenderer()
    record = make_record("en")
    expected = renderer.render(record, generated_at=GENERATED)
    generation = renderer.styles.generation
    sheet = static / "pdf" / "packet.css"
    stat = sheet.stat()
    os.utime(sheet, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    pdf = renderer.render(record, generated_at=GENERATED)
    assert renderer.styles.generation == generation + 1
    assert renderer.consent_cache.misses == 2  # laid out again with the sheets parsed again
    assert pdf == expected
    sheet.write_text(sheet.read_text(encoding="utf-8") + "h2 { color: #c00; }\n", "utf-8")
    os.utime(sheet, ns=(stat.st_atime_ns, stat.st_mtime_ns + 2_000_000_000))
    changed = renderer.render(record, generated_at=GENERATED)
    assert renderer.consent_cache.misses == 3
    assert changed != expected  # the new rule is drawn, on the consent pages too
    assert changed == whole().render(record, generated_at=GENERATED)


def test_a_clinic_template_without_the_placeholder_gets_the_whole_packet(tmp_path: Path) -> None:
    shipped = (Path(__file__).parent.parent / "templates" / "pdf" / "packet.html").read_text(
        encoding="utf-8"
    )
    marker = "{% if consent_pages %}"
    assert marker in shipped
    own = shipped.replace(marker, "{% if false %}")  # always the whole consent
    (tmp_path / "pdf").mkdir()
    (tmp_path / "pdf" / "packet.html").write_text(own, encoding="utf-8")
    settings = PacketSettings(template_dirs=(str(tmp_path),))
    record = make_record("en")
    pdf = PacketRenderer(settings).render(record, generated_at=GENERATED)
    assert pdf == whole(settings).render(record, generated_at=GENERATED)
    assert verify_packet(pdf, renderer=PacketRenderer(settings)).ok


def test_one_renderer_in_several_threads() -> None:
    renderer = PacketRenderer()
    names = [f"Thread Patient {n}" for n in range(4)]
    expected = {n: whole().render(make_record(name=n), generated_at=GENERATED) for n in names}
    made: dict[str, bytes] = {}
    errors: list[BaseException] = []

    def work(name: str) -> None:
        try:
            made[name] = renderer.render(make_record(name=name), generated_at=GENERATED)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in names]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert made == expected


def test_the_running_header_is_laid_out_once_and_drawn_on_every_page(
    monkeypatch: pytest.MonkeyPatch, whole_packet: Callable[[str], bytes]
) -> None:
    seen: list[list[int]] = []
    real = consent_cache.compose

    def spy(packet: Any, consent: Any, count: int, *, margins_once: bool = False) -> Any:
        seen.append([len(consent_cache._margins(p)) for p in packet.pages])
        return real(packet, consent, count, margins_once=margins_once)

    monkeypatch.setattr(consent_cache, "compose", spy)
    record = make_record("es")  # RECORDS["spanish"]
    pdf = PacketRenderer().render(record, generated_at=GENERATED)
    (margins,) = seen
    assert margins[0] == 4 and set(margins[1:]) == {1}  # "page X of Y" alone after the first
    assert pdf == whole_packet("spanish")
    # A clinic stylesheet may print other margins on other pages: laid out on every page.
    seen.clear()
    own = PacketSettings(stylesheets=("pdf/packet.css", "pdf/page-a4.css"))
    PacketRenderer(own).render(record, generated_at=GENERATED)
    assert set(seen[0]) == {4}
