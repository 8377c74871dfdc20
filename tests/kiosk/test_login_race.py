"""Parallel wrong logins never check more secrets than the limit allows."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from flask import Flask

from .conftest import svc
from .kiosk_client import csrf


def test_40_parallel_wrong_logins_check_at_most_the_limit(app: Flask) -> None:
    services = svc(app)
    checked: list[str] = []
    original = services.pin.verify

    def counting(pin: str) -> bool:
        checked.append(pin)
        return original(pin)

    services.pin.verify = counting  # type: ignore[method-assign]
    clients = [app.test_client() for _ in range(40)]
    tokens = [csrf(c.get("/staff/login").get_data(as_text=True)) for c in clients]

    def wrong(i: int) -> Any:
        return clients[i].post("/staff/login", data={"csrf_token": tokens[i], "pin": "000000"})

    with ThreadPoolExecutor(40) as pool:
        codes = [r.status_code for r in pool.map(wrong, range(40))]
    assert len(checked) <= services.limiter.max_attempts, len(checked)
    assert codes.count(401) + codes.count(429) == 40
