"""``tpi-forms kiosk backup`` / ``restore``: database and packets copied consistently, nothing lost."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from tpi_forms.cli import main
from tpi_forms.errors import StoreError
from tpi_forms.kiosk import backup as backup_module
from tpi_forms.kiosk.security import PIN_FILE, SECRET_FILE
from tpi_forms.kiosk.store import DATABASE_NAME, KioskStore, new_token


def sign(store: KioskStore, name: str) -> bytes:
    """A signed check-in with its packet (a stand-in PDF); returns the PDF."""
    checkin = store.create_checkin({"name": name}, mode="staff")
    pdf = f"%PDF-1.7 packet of {name} {new_token()}".encode()
    sha = hashlib.sha256(pdf).hexdigest()
    store.submit(new_token(), checkin.id, "consent", {"n": name}, {}, packet=(pdf, sha))
    return pdf


def every_file(folder: Path) -> set[str]:
    return {hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.rglob("*") if p.is_file()}


def test_backup_while_running_then_restore_keeps_every_packet(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data, saved = tmp_path / "data", tmp_path / "saved"
    running = KioskStore(data)  # the server holds the folder while the backup runs
    try:
        (data / SECRET_FILE).write_bytes(b"secret")
        first = [sign(running, "Ana"), sign(running, "Ben")]
        assert main(["kiosk", "backup", "--data", str(data), "--to", str(saved)]) == 0
        assert "Backed up 2 check-ins, 2 packets" in capsys.readouterr().out
        later = [sign(running, "Cy"), sign(running, "Dee")]  # signed after the backup
    finally:
        running.close()
    manifest = json.loads((saved / "backup.json").read_text("utf-8"))
    assert sorted(manifest["files"]) == sorted(
        [DATABASE_NAME, SECRET_FILE]
        + [f"packets/{p.name}" for p in (data / "packets").iterdir() if p.read_bytes() in first]
    )
    before = every_file(data)

    assert main(["kiosk", "restore", "--data", str(data), "--from", str(saved)]) == 0
    out = capsys.readouterr().out
    assert "Restored 2 check-ins" in out and "2 packets the backup does not list" in out
    assert every_file(data) >= before, "nothing deleted"
    store = KioskStore(data)
    try:
        restored = {c.patient["name"]: c.id for c in store.checkins()}
        assert sorted(restored) == ["Ana", "Ben"]
        assert [store.read_packet(restored[n]) for n in ("Ana", "Ben")] == first
        assert {store.read_quarantined(q.filename) for q in store.quarantined()} == set(later)
        (aside,) = data.glob("before-restore-*")
        old = KioskStore(aside, exclusive=False)  # the database that was in use, kept whole
        try:
            assert len(old.checkins()) == 4
        finally:
            old.close()
    finally:
        store.close()


def test_restore_into_an_empty_folder_brings_everything_back(tmp_path: Path) -> None:
    data, saved, fresh = tmp_path / "data", tmp_path / "saved", tmp_path / "fresh"
    store = KioskStore(data)
    pdf = sign(store, "Ana")
    (data / PIN_FILE).write_bytes(b"hash")
    backup_module.backup(data, saved)
    store.close()
    report = backup_module.restore(fresh, saved)
    assert (report.checkins, report.packets_copied, report.kept_aside) == (1, 1, None)
    assert (fresh / PIN_FILE).read_bytes() == b"hash"
    store = KioskStore(fresh)
    try:
        assert store.read_packet(store.checkins()[0].id) == pdf
        assert store.quarantined() == []
    finally:
        store.close()


def test_restore_is_refused_while_a_server_uses_the_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data, saved = tmp_path / "data", tmp_path / "saved"
    running = KioskStore(data)
    try:
        sign(running, "Ana")
        backup_module.backup(data, saved)
        database = (data / DATABASE_NAME).read_bytes()
        assert main(["kiosk", "restore", "--data", str(data), "--from", str(saved)]) == 2
        assert (data / DATABASE_NAME).read_bytes() == database
    finally:
        running.close()
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "another kiosk server is using the data folder" in err


def test_backup_refuses_a_folder_with_files_and_leaves_nothing_half_made(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data, saved = tmp_path / "data", tmp_path / "saved"
    KioskStore(data).close()
    saved.mkdir()
    (saved / "other.txt").write_text("x", "utf-8")
    assert main(["kiosk", "backup", "--data", str(data), "--to", str(saved)]) == 2
    assert "is not empty" in capsys.readouterr().err
    assert main(["kiosk", "backup", "--data", str(tmp_path / "none"), "--to", str(saved)]) == 2
    assert "no kiosk database" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "saved"]


def test_a_changed_or_partial_backup_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data, saved = tmp_path / "data", tmp_path / "saved"
    store = KioskStore(data)
    sign(store, "Ana")
    store.close()
    backup_module.backup(data, saved)
    (packet,) = (saved / "packets").iterdir()
    packet.write_bytes(b"%PDF-1.7 edited")
    assert main(["kiosk", "restore", "--data", str(tmp_path / "new"), "--from", str(saved)]) == 2
    assert "missing or changed since the backup" in capsys.readouterr().err
    assert main(["kiosk", "restore", "--data", str(data), "--from", str(tmp_path)]) == 2
    assert "is not a kiosk backup" in capsys.readouterr().err
    assert not (tmp_path / "new" / DATABASE_NAME).exists()


def test_a_packet_missing_from_the_data_folder_fails_the_backup(tmp_path: Path) -> None:
    data = tmp_path / "data"
    store = KioskStore(data)
    sign(store, "Ana")
    store.close()
    for packet in (data / "packets").iterdir():
        packet.unlink()
    with pytest.raises(StoreError, match="named by the database is missing"):
        backup_module.backup(data, tmp_path / "saved")
    assert not (tmp_path / "saved").exists()


def test_the_settings_files_are_the_ones_the_kiosk_writes() -> None:
    from tpi_forms.kiosk.sealing import SEAL_FOLDER

    assert set(backup_module.SETTINGS_FILES) == {PIN_FILE, SECRET_FILE}
    assert backup_module.SETTINGS_FOLDERS == (SEAL_FOLDER,)


def test_the_clinic_seal_is_backed_up_and_restored(tmp_path: Path) -> None:
    from tpi_forms.kiosk.sealing import CERT_FILE, KEY_FILE, SEAL_FOLDER, clinic_seal

    data, saved, fresh = tmp_path / "data", tmp_path / "saved", tmp_path / "fresh"
    KioskStore(data).close()
    seal = clinic_seal(data, "Sample Clinic")
    backup_module.backup(data, saved)
    backup_module.restore(fresh, saved)
    assert (fresh / SEAL_FOLDER / CERT_FILE).read_bytes() == seal.cert_pem
    assert (fresh / SEAL_FOLDER / KEY_FILE).read_bytes() == seal.key_pem
