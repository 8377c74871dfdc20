"""Staff PIN hashing, attempt limiting and idle server-side sessions."""

from __future__ import annotations

from pathlib import Path

import pytest

from tpi_forms.kiosk.security import (
    PIN_FILE,
    AttemptLimiter,
    PinError,
    StaffPin,
    secret_key,
)


def test_pin_is_stored_only_as_an_argon2id_hash(tmp_path: Path) -> None:
    pin = StaffPin(tmp_path)
    pin.set("735194")
    stored = (tmp_path / PIN_FILE).read_text("ascii")
    assert stored.startswith("$argon2id$") and "735194" not in stored
    assert (tmp_path / PIN_FILE).stat().st_mode & 0o777 == 0o600
    assert pin.verify("735194") and pin.verify(" 735194\n")
    assert not pin.verify("735195") and not pin.verify("") and not pin.verify("9" * 10_000)


def test_ensure_generates_a_pin_once(tmp_path: Path) -> None:
    pin = StaffPin(tmp_path)
    first = pin.ensure()
    assert first is not None and first.isdigit() and len(first) == 8
    assert pin.verify(first)
    assert pin.ensure() is None and pin.verify(first)


def test_ensure_reads_a_pin_file(tmp_path: Path) -> None:
    source = tmp_path / "pin.txt"
    source.write_text("correct horse battery\nignored\n", "utf-8")
    pin = StaffPin(tmp_path / "data")
    assert pin.ensure(source) is None
    assert pin.verify("correct horse battery") and not pin.verify("ignored")


@pytest.mark.parametrize("bad", ["", "12345", " 123 ", "x" * 129])
def test_pin_rules(tmp_path: Path, bad: str) -> None:
    with pytest.raises(PinError):
        StaffPin(tmp_path).set(bad)
    assert not StaffPin(tmp_path).is_set()


def test_no_pin_set_verifies_nothing(tmp_path: Path) -> None:
    assert not StaffPin(tmp_path).verify("123456")


def test_limiter_locks_out_and_forgives() -> None:
    now = [0.0]
    limiter = AttemptLimiter(max_attempts=3, lockout_seconds=60, clock=lambda: now[0])
    assert limiter.failure("a").attempts_left == 2
    assert limiter.failure("a").locked_for == 0
    assert limiter.failure("a").locked_for == 60
    assert limiter.state("b").locked_for == 0  # another client is not affected
    now[0] = 59
    assert limiter.state("a").locked_for == pytest.approx(1)
    now[0] = 61
    state = limiter.state("a")
    assert state.locked_for == 0 and state.attempts_left == 3
    limiter.failure("a")
    limiter.success("a")
    assert limiter.state("a").attempts_left == 3


def test_secret_key_is_made_once(tmp_path: Path) -> None:
    key = secret_key(tmp_path)
    assert len(key) == 64 and secret_key(tmp_path) == key
