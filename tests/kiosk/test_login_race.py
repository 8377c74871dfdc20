"""Parallel wrong logins never check more secrets than the limit allows."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from flask import Flask

from .conftest import svc
from .kiosk_client import accounts_offered, csrf


@pytest.mark.parametrize("devices", [1, 40])
def test_40_parallel_wrong_logins_check_at_most_the_limit(app: Flask, devices: int) -> None:
    """One device: at most the per-device limit; 40 devices: at most the per-account limit."""
    services = svc(app)
    checked: list[str] = []
    original = services.accounts.verify

    def counting(user_id: str, secret: str) -> Any:
        checked.append(secret)
        time.sleep(0.05)  # widen the race: every request is inside its check at once
        return original(user_id, secret)

    services.accounts.verify = counting  # type: ignore[method-assign]
    clients = [app.test_client() for _ in range(40)]
    environ = [{"REMOTE_ADDR": f"192.0.2.{i % devices + 1}"} for i in range(40)]
    pages = [
        c.get("/staff/login", environ_base=e).get_data(as_text=True)
        for c, e in zip(clients, environ, strict=True)
    ]
    (account,) = accounts_offered(pages[0]).values()

    def wrong(i: int) -> Any:
        data = {"csrf_token": csrf(pages[i]), "account": account, "pin": "000000"}
        return clients[i].post("/staff/login", data=data, environ_base=environ[i])

    with ThreadPoolExecutor(40) as pool:
        codes = [r.status_code for r in pool.map(wrong, range(40))]
    limit = services.limiter.max_attempts if devices == 1 else services.limiter.account_max_attempts
    assert len(checked) <= limit, len(checked)
    assert len(checked) == limit  # and the limiter let that many be checked
    assert codes.count(401) + codes.count(429) == 40 and codes.count(401) == limit - 1
    assert len(services.store.events(kinds=["staff_login_failed"])) == len(checked)
