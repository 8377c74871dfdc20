"""Staff accounts in the store: append-only rows, the latest change wins, events name the doer."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher, extract_parameters, profiles

from tpi_forms.errors import AccountError, PinError
from tpi_forms.kiosk.accounts import COMMAND_LINE, StaffAccounts, StaffPin
from tpi_forms.kiosk.schema import SCHEMA_VERSION, connect, migrate
from tpi_forms.kiosk.store import DATABASE_NAME, KioskStore
from tpi_forms.kiosk.text import kiosk_text


@pytest.fixture
def accounts(tmp_path: Path) -> Iterator[StaffAccounts]:
    store = KioskStore(tmp_path / "data")
    yield StaffAccounts(store)
    store.close()


def test_secrets_are_hashed_with_the_rfc_9106_low_memory_profile(
    accounts: StaffAccounts, production_hasher: PasswordHasher
) -> None:
    """The kiosk's own parameters (the other tests run with argon2's cheapest, conftest.py)."""
    ana = accounts.create("Ana Ruiz", "clinician", "246810", by=COMMAND_LINE)
    (stored,) = accounts.store._conn().execute("SELECT secret_hash FROM staff_users").fetchone()
    assert extract_parameters(stored) == profiles.RFC_9106_LOW_MEMORY
    assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert accounts.verify(ana.id, "246810") == ana and accounts.verify(ana.id, "246811") is None


def test_accounts_have_their_own_secrets_and_roles(accounts: StaffAccounts) -> None:
    ana = accounts.create("  Ana   Ruiz ", "clinician", "246810", credentials="MD", by=COMMAND_LINE)
    bo = accounts.create("Bo Front", "front_desk", "correct horse", by=ana.actor)
    assert ana.name == "Ana Ruiz" and ana.display_name == "Ana Ruiz, MD"
    assert [u.name for u in accounts.users()] == ["Ana Ruiz", "Bo Front"]
    assert accounts.verify(ana.id, "246810") == ana and accounts.verify(ana.id, " 246810\n")
    assert accounts.verify(bo.id, "246810") is None  # each person has their own secret
    assert accounts.verify(bo.id, "correct horse") == bo
    assert accounts.verify("no-such-account", "246810") is None
    assert accounts.verify(ana.id, "9" * 10_000) is None
    stored = accounts.store._conn().execute("SELECT secret_hash FROM staff_users").fetchall()
    assert all(h.startswith("$argon2id$") and "246810" not in h for (h,) in stored)
    created = accounts.store.events(kinds=["staff_user_created"])
    assert [e.detail["user"] for e in created] == [ana.id, bo.id]
    assert created[0].detail["first_account"] == 1 and "first_account" not in created[1].detail
    assert created[1].detail["by"] == ana.id and created[1].detail["by_name"] == "Ana Ruiz, MD"
    assert (
        created[1].detail["role"] == "clinician" and created[1].detail["user_role"] == "front_desk"
    )
    assert bo.created_by == ana.id


@pytest.mark.parametrize(
    ("name", "role", "secret", "error"),
    [
        ("", "clinician", "246810", AccountError),
        ("Ana\u200bRuiz", "clinician", "246810", AccountError),  # zero-width space
        ("Ana\x00", "clinician", "246810", AccountError),
        ("A" * 101, "clinician", "246810", AccountError),
        ("Ana Ruiz", "doctor", "246810", AccountError),
        ("Ana Ruiz", "clinician", "12345", PinError),
        ("Ana Ruiz", "clinician", "x" * 129, PinError),
    ],
)
def test_bad_accounts_are_refused(
    accounts: StaffAccounts, name: str, role: str, secret: str, error: type[Exception]
) -> None:
    with pytest.raises(error):
        accounts.create(name, role, secret, by=COMMAND_LINE)
    assert accounts.users() == [] and accounts.store.events() == []


def test_names_are_unique_whatever_the_case(accounts: StaffAccounts) -> None:
    accounts.create("Ana Ruiz", "clinician", "246810", by=COMMAND_LINE)
    with pytest.raises(AccountError, match="already"):
        accounts.create("ana  RUIZ", "admin", "135790", by=COMMAND_LINE)
    assert accounts.by_name("ANA ruiz") is not None and accounts.count() == 1


def test_disable_enable_and_new_secret_are_new_rows(accounts: StaffAccounts) -> None:
    admin = accounts.create("Ada Admin", "admin", "975310", by=COMMAND_LINE)
    ana = accounts.create("Ana Ruiz", "clinician", "246810", by=admin.actor)
    assert accounts.disable(ana.id, by=admin.actor)
    assert not accounts.disable(ana.id, by=admin.actor)  # already disabled: nothing stored
    assert accounts.verify(ana.id, "246810") is None  # a disabled account cannot log in
    user = accounts.user(ana.id)
    assert user is not None and not user.active
    assert [u.name for u in accounts.users(active_only=True)] == ["Ada Admin"]
    assert accounts.enable(ana.id, by=admin.actor)
    assert accounts.verify(ana.id, "246810") is not None
    accounts.change_secret(ana.id, "864200", by=admin.actor)
    assert accounts.verify(ana.id, "246810") is None and accounts.verify(ana.id, "864200")
    changes = accounts.store._conn().execute(
        "SELECT change, by FROM staff_user_changes ORDER BY seq"
    )
    assert list(changes) == [("disabled", admin.id), ("enabled", admin.id), ("secret", admin.id)]
    kinds = [e.kind for e in accounts.store.events()][2:]
    assert kinds == ["staff_user_disabled", "staff_user_enabled", "staff_user_secret_changed"]
    with pytest.raises(AccountError, match="last active admin"):
        accounts.disable(admin.id, by=admin.actor)
    with pytest.raises(AccountError):
        accounts.disable("no-such-account", by=admin.actor)


@pytest.mark.parametrize("table", ["staff_users", "staff_user_changes"])
def test_account_tables_are_append_only(accounts: StaffAccounts, table: str) -> None:
    admin = accounts.create("Ada Admin", "admin", "975310", by=COMMAND_LINE)
    ana = accounts.create("Ana Ruiz", "clinician", "246810", by=admin.actor)
    accounts.disable(ana.id, by=admin.actor)
    conn = accounts.store._conn()
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute(f"UPDATE {table} SET {'name' if table == 'staff_users' else 'by'} = 'x'")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute(f"DELETE FROM {table}")
    assert accounts.count() == 2


def test_upgrade_of_a_0_1_0_data_folder_keeps_the_shared_pin_for_set_up(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    conn = connect(folder / DATABASE_NAME)
    migrate(conn, target=2)  # 0.1.0's schema
    conn.execute(
        "INSERT INTO events (checkin_id, at, kind, detail_json) "
        "VALUES (NULL, '2026-01-01T00:01:00+00:00', 'staff_login', '{}')"
    )
    conn.close()
    StaffPin(folder).set("135791")
    store = KioskStore(folder)
    try:
        assert store.schema_version() == SCHEMA_VERSION
        accounts = StaffAccounts(store)
        assert accounts.count() == 0 and StaffPin(folder).verify("135791")
        assert [e.kind for e in store.events()] == ["staff_login"]
    finally:
        store.close()


def test_shared_pin_retires(tmp_path: Path) -> None:
    pin = StaffPin(tmp_path)
    assert not pin.retire()
    pin.set("135791")
    assert pin.retire() and not pin.is_set() and not pin.verify("135791")


def test_the_lock_out_words_say_how_many_tries_and_minutes() -> None:
    english, spanish = kiosk_text("en"), kiosk_text("es")
    assert english["staff.pin_wrong_one"] == "That PIN is not right. 1 try left."
    assert english["staff.pin_wrong_many"].format(left=3) == "That PIN is not right. 3 tries left."
    assert english["staff.locked_many"].format(minutes=5) == (
        "Too many wrong tries. Try again in 5 minutes."
    )
    assert spanish["staff.pin_wrong_one"] == "Ese PIN no es correcto. Le queda 1 intento."
