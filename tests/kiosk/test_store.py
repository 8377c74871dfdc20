"""The kiosk store: append-only tables, idempotent submits, atomic packets, migrations, crashes."""

from __future__ import annotations

import hashlib
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tpi_forms.errors import ConflictError, StoreError
from tpi_forms.kiosk import store as store_module
from tpi_forms.kiosk.schema import SCHEMA_VERSION, connect, migrate
from tpi_forms.kiosk.store import TEMP_PREFIX, KioskStore, new_token, write_atomic

PATIENT = {"name": "Ana Store", "date_of_birth": "1980-01-02"}


@pytest.fixture
def store(tmp_path: Path) -> Iterator[KioskStore]:
    s = KioskStore(tmp_path / "data")
    yield s
    s.close()


def packet_path(store: KioskStore, checkin_id: str) -> Path:
    """Where the store keeps the check-in's packet (it has one)."""
    packet = store.packet(checkin_id)
    assert packet is not None
    return packet.path


def test_database_is_wal_with_full_sync(store: KioskStore) -> None:
    conn = store._conn()
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert store.schema_version() == SCHEMA_VERSION
    assert store.database.stat().st_mode & 0o777 == 0o600


def test_same_token_stores_one_submission_and_returns_first_result(store: KioskStore) -> None:
    checkin = store.create_checkin(PATIENT, mode="staff")
    token = new_token()
    first = store.submit(token, checkin.id, "screening", {"q": 1}, {"status": "clear"})
    again = store.submit(token, checkin.id, "screening", {"q": 2}, {"status": "review"})
    assert first.stored and not again.stored
    assert again.result == {"status": "clear"} and again.payload == {"q": 1}
    assert len(store.submissions(checkin.id)) == 1


def test_concurrent_double_tap_stores_one_submission(store: KioskStore) -> None:
    checkin = store.create_checkin(PATIENT, mode="staff")
    token = new_token()
    results: list[store_module.Submission] = []
    barrier = threading.Barrier(8)

    def tap(i: int) -> None:
        barrier.wait()
        results.append(
            store.submit(
                token,
                checkin.id,
                "screening",
                {"tap": i},
                {"tap": i},
                event=("screened", {"tap": i}),
            )
        )

    threads = [threading.Thread(target=tap, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(r.stored for r in results) == 1
    assert len({json.dumps(r.result) for r in results}) == 1
    assert len(store.submissions(checkin.id)) == 1
    assert len(store.events(checkin.id, kinds=["screened"])) == 1


def test_token_reused_for_another_checkin_is_refused(store: KioskStore) -> None:
    a = store.create_checkin(PATIENT, mode="staff")
    b = store.create_checkin(PATIENT, mode="self")
    token = new_token()
    store.submit(token, a.id, "screening", {}, {})
    with pytest.raises(ConflictError):
        store.submit(token, b.id, "screening", {}, {})
    with pytest.raises(ConflictError):
        store.submit(token, a.id, "consent", {}, {})


@pytest.mark.parametrize("token", ["short", "x" * 65, "has space in it 123", "ü" * 20])
def test_malformed_tokens_are_refused(store: KioskStore, token: str) -> None:
    checkin = store.create_checkin(PATIENT, mode="staff")
    with pytest.raises(StoreError):
        store.submit(token, checkin.id, "screening", {}, {})


def test_submission_for_unknown_checkin_is_refused(store: KioskStore) -> None:
    with pytest.raises(ConflictError):
        store.submit(new_token(), new_token(), "screening", {}, {})


@pytest.mark.parametrize("table", ["checkins", "submissions", "events", "packets"])
def test_tables_are_append_only(store: KioskStore, table: str) -> None:
    checkin = store.create_checkin(PATIENT, mode="staff")
    pdf = b"%PDF-1.7 test"
    sha = hashlib.sha256(pdf).hexdigest()
    store.submit(new_token(), checkin.id, "consent", {}, {}, packet=(pdf, sha))
    conn = store._conn()
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute(
            f"UPDATE {table} SET created_at = 'x'"
            if table != "events"
            else "UPDATE events SET kind = 'x'"
        )
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute(f"DELETE FROM {table}")
    assert conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0] >= 1


def test_guard_refuses_inside_the_transaction(store: KioskStore) -> None:
    checkin = store.create_checkin(PATIENT, mode="staff")

    def refuse(conn: sqlite3.Connection) -> None:
        raise ConflictError("already done")

    with pytest.raises(ConflictError):
        store.submit(new_token(), checkin.id, "consent", {}, {}, guard=refuse)
    assert store.submissions(checkin.id) == []


def test_packet_is_stored_once_per_checkin_and_verified(store: KioskStore) -> None:
    checkin = store.create_checkin(PATIENT, mode="staff")
    pdf = b"%PDF-1.7 first"
    sha = hashlib.sha256(pdf).hexdigest()
    store.submit(new_token(), checkin.id, "consent", {}, {}, packet=(pdf, sha))
    assert store.read_packet(checkin.id) == pdf
    other = b"%PDF-1.7 second"
    with pytest.raises(ConflictError):
        store.submit(
            new_token(),
            checkin.id,
            "consent",
            {},
            {},
            packet=(other, hashlib.sha256(other).hexdigest()),
        )
    assert sorted(p.name for p in store.packet_folder.iterdir()) == [
        packet_path(store, checkin.id).name
    ]
    packet = store.packet(checkin.id)
    assert packet is not None
    os.chmod(packet.path, 0o600)
    packet.path.write_bytes(b"tampered")
    with pytest.raises(StoreError, match="SHA-256"):
        store.read_packet(checkin.id)


def test_events_keep_order_and_corrections_are_new_events(store: KioskStore) -> None:
    checkin = store.create_checkin(PATIENT, mode="staff")
    store.add_event(checkin.id, "cleared", {"by": "staff"})
    store.add_event(checkin.id, "clearance_withdrawn", {"by": "staff"})
    kinds = [e.kind for e in store.events(checkin.id)]
    assert kinds == ["opened", "cleared", "clearance_withdrawn"]


def test_write_atomic_leaves_no_temp_file_and_replaces(tmp_path: Path) -> None:
    target = tmp_path / "a.pdf"
    write_atomic(target, b"one")
    write_atomic(target, b"two")
    assert target.read_bytes() == b"two"
    assert [p.name for p in tmp_path.iterdir()] == ["a.pdf"]


def test_startup_sweep_removes_temp_files_and_quarantines_unnamed_pdfs(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    s = KioskStore(folder)
    checkin = s.create_checkin(PATIENT, mode="staff")
    pdf = b"%PDF-1.7 kept"
    s.submit(
        new_token(), checkin.id, "consent", {}, {}, packet=(pdf, hashlib.sha256(pdf).hexdigest())
    )
    s.close()
    (folder / f"{TEMP_PREFIX}abc").write_bytes(b"half")
    (folder / "packets" / f"{TEMP_PREFIX}def").write_bytes(b"half")
    (folder / "packets" / "never-committed.pdf").write_bytes(b"%PDF")
    s = KioskStore(folder)
    assert [p.name for p in (folder / "packets").iterdir()] == [packet_path(s, checkin.id).name]
    assert not any(p.name.startswith(TEMP_PREFIX) for p in folder.iterdir())
    assert s.read_packet(checkin.id) == pdf
    assert (folder / "quarantine" / "never-committed.pdf").read_bytes() == b"%PDF"
    s.close()


def test_upgrade_from_version_1_keeps_records(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    conn = connect(folder / store_module.DATABASE_NAME)
    migrate(conn, target=1)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
    conn.execute(
        "INSERT INTO checkins VALUES ('c' || hex(randomblob(12)), '2026-01-01T00:00:00+00:00', "
        "'staff', ?)",
        (json.dumps(PATIENT),),
    )
    (cid,) = conn.execute("SELECT id FROM checkins").fetchone()
    conn.execute(
        "INSERT INTO submissions VALUES ('tok_v1_0123456789ab', ?, 'screening', "
        "'2026-01-01T00:01:00+00:00', '{\"q\":1}', '{\"status\":\"review\"}')",
        (cid,),
    )
    conn.execute(
        "INSERT INTO events (checkin_id, at, kind, detail_json) "
        "VALUES (?, '2026-01-01T00:01:00+00:00', 'screened', '{}')",
        (cid,),
    )
    with pytest.raises(sqlite3.IntegrityError):
        conn.execute("DELETE FROM submissions")
    conn.close()

    s = KioskStore(folder)
    assert s.schema_version() == SCHEMA_VERSION
    checkin = s.checkin(cid)
    assert checkin is not None and checkin.patient == PATIENT
    old = s.submission("tok_v1_0123456789ab")
    assert old is not None and old.payload == {"q": 1} and old.result == {"status": "review"}
    assert [e.kind for e in s.events(cid)] == ["screened"]
    pdf = b"%PDF-1.7 after upgrade"
    s.submit(new_token(), cid, "consent", {}, {}, packet=(pdf, hashlib.sha256(pdf).hexdigest()))
    assert s.read_packet(cid) == pdf
    s.close()


def test_a_second_server_on_one_folder_is_refused(tmp_path: Path) -> None:
    first = KioskStore(tmp_path)
    with pytest.raises(StoreError, match="another kiosk server"):
        KioskStore(tmp_path)
    (tmp_path / "packets" / f"{TEMP_PREFIX}in-flight").write_bytes(b"%PDF")
    reader = KioskStore(tmp_path, exclusive=False)  # a reader beside it sweeps nothing
    assert (tmp_path / "packets" / f"{TEMP_PREFIX}in-flight").exists()
    reader.close()
    first.close()
    KioskStore(tmp_path).close()  # the lock went with the first store
    assert not (tmp_path / "packets" / f"{TEMP_PREFIX}in-flight").exists()


def test_newer_database_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    KioskStore(folder).close()
    conn = connect(folder / store_module.DATABASE_NAME)
    conn.execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(StoreError, match="upgrade tpi_forms"):
        KioskStore(folder)


WORKER = Path(__file__).with_name("crash_worker.py")


def _run_until_killed(folder: Path, seed: int, delay: float) -> list[str]:
    """Start the worker, SIGKILL it ``delay`` seconds after it is ready; return acked lines."""
    proc = subprocess.Popen(
        [sys.executable, str(WORKER), str(folder), str(seed)],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "ready"
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(proc.stdout))  # type: ignore[arg-type]
    reader.start()
    time.sleep(delay)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    reader.join(timeout=30)
    proc.stdout.close()
    assert proc.returncode == -signal.SIGKILL
    # A line cut short by the kill was never fully acknowledged: only whole lines count.
    return [line.strip() for line in lines if line.endswith("\n") and line.strip()]


@pytest.mark.slow
def test_killed_writer_loses_no_acknowledged_submission(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    rng = random.Random(20260302)
    acked: list[list[str]] = []
    for round_ in range(10):
        acked += [
            line.split() for line in _run_until_killed(folder, round_, rng.uniform(0.05, 0.4))
        ]
    assert len(acked) >= 10, "the worker should acknowledge submissions between kills"

    s = KioskStore(folder)  # the start-up sweep runs here
    conn = s._conn()
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    for token, checkin_id, payload_sha, pdf_sha in acked:
        sub = s.submission(token)
        assert sub is not None and sub.checkin_id == checkin_id
        payload = json.dumps(sub.payload, sort_keys=True).encode()
        assert hashlib.sha256(payload).hexdigest() == payload_sha
        assert sub.result == {"packet_sha256": pdf_sha}
        data = s.read_packet(checkin_id)
        assert data is not None and hashlib.sha256(data).hexdigest() == pdf_sha
    # No half-written record: every submission has its packet and its event, and every file a row.
    subs = s.submissions()
    assert len(subs) >= len(acked)
    for sub in subs:
        assert s.packet(sub.checkin_id) is not None
        assert [e.kind for e in s.events(sub.checkin_id)] == ["opened", "signed"]
    names = {p.name for p in s.packet_folder.iterdir()}
    assert names == {packet_path(s, sub.checkin_id).name for sub in subs}
    leftovers = [
        p for p in (*folder.iterdir(), *s.packet_folder.iterdir()) if p.name.startswith(TEMP_PREFIX)
    ]
    assert leftovers == []
    s.close()
