"""Shared PIN hashing, attempt limiting per client and per account, secret key."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tpi_forms.kiosk.security import (
    PIN_FILE,
    AttemptLimiter,
    Lockout,
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


def wrong(limiter: AttemptLimiter, client: str, account: str | None = None) -> Lockout:
    attempt = limiter.reserve(client, account)
    assert attempt is not None, (client, account)
    return attempt.failed()


def test_limiter_locks_a_client_out_and_forgives() -> None:
    now = [0.0]
    limiter = AttemptLimiter(max_attempts=3, lockout_seconds=60, clock=lambda: now[0])
    assert wrong(limiter, "a").attempts_left == 2
    assert wrong(limiter, "a").locked_for == 0
    assert wrong(limiter, "a").locked_for == 60
    assert limiter.reserve("a") is None
    assert limiter.state("b").locked_for == 0  # another client is not affected
    now[0] = 59
    assert limiter.state("a").locked_for == pytest.approx(1)
    now[0] = 61
    state = limiter.state("a")
    assert state.locked_for == 0 and state.attempts_left == 3
    wrong(limiter, "a")
    attempt = limiter.reserve("a")
    assert attempt is not None
    attempt.succeeded()
    assert limiter.state("a").attempts_left == 3
    with pytest.raises(RuntimeError):
        attempt.failed()  # settled once


def test_wrong_tries_count_for_the_lockout_time_only() -> None:
    now = [0.0]
    limiter = AttemptLimiter(max_attempts=3, lockout_seconds=60, clock=lambda: now[0])
    wrong(limiter, "a")
    wrong(limiter, "a")
    now[0] = 60.5  # the two wrong tries are older than the lock-out time
    assert limiter.state("a").attempts_left == 3


def test_an_account_is_locked_for_every_client() -> None:
    now = [0.0]
    limiter = AttemptLimiter(
        max_attempts=3, lockout_seconds=60, clock=lambda: now[0], account_max_attempts=4
    )
    wrong(limiter, "tablet", "ana")
    wrong(limiter, "laptop", "ana")
    wrong(limiter, "phone", "ana")
    state = wrong(limiter, "desk", "ana")
    assert state.account_locked and state.locked_for == 60
    assert limiter.reserve("desk", "ana") is None
    assert limiter.reserve("other-desk", "ana") is None  # for everyone
    assert limiter.reserve("desk", "bo") is not None  # other accounts still log in
    assert limiter.state("desk").locked_for == 0  # and the client is not locked


def test_one_client_alone_never_locks_an_account() -> None:
    """A patient tapping wrong PINs on the tablet for an hour cannot lock the desk out."""
    now = [0.0]
    limiter = AttemptLimiter(max_attempts=5, lockout_seconds=300, clock=lambda: now[0])
    assert limiter.account_max_attempts == 10
    for _ in range(3600):
        now[0] += 1.0
        attempt = limiter.reserve("tablet", "ana")
        if attempt is not None:
            assert not attempt.failed().account_locked
        desk = limiter.reserve("desk", "ana")
        assert desk is not None
        desk.release()
    assert limiter.state("desk", "ana").locked_for == 0


def test_attempts_under_way_count_against_the_limit() -> None:
    limiter = AttemptLimiter(max_attempts=3, lockout_seconds=60, account_max_attempts=5)
    held = [limiter.reserve("a", "ana") for _ in range(3)]
    assert all(held) and limiter.reserve("a", "ana") is None
    assert limiter.state("a", "ana").attempts_left == 0
    first = held[0]
    assert first is not None
    with first:  # an error while checking: released without counting
        pass
    assert limiter.state("a", "ana").attempts_left == 1
    assert all(limiter.reserve("b", "ana") for _ in range(3))
    assert limiter.reserve("c", "ana") is None  # the account's 5 are all under way
    assert limiter.reserve("c", "bo") is not None


def test_parallel_reservations_never_exceed_the_limit() -> None:
    limiter = AttemptLimiter(max_attempts=5, lockout_seconds=60)
    barrier = threading.Barrier(40)

    def one(_: int) -> bool:
        barrier.wait()
        attempt = limiter.reserve("a", "ana")
        if attempt is None:
            return False
        time.sleep(0.05)  # as long as a secret check takes
        attempt.failed()
        return True

    with ThreadPoolExecutor(40) as pool:
        granted = sum(pool.map(one, range(40)))
    assert granted == 5
    assert limiter.state("a", "ana").locked_for > 0


def test_secret_key_is_made_once(tmp_path: Path) -> None:
    key = secret_key(tmp_path)
    assert len(key) == 64 and secret_key(tmp_path) == key
