"""Static files are read and closed while the request is handled: a client that never reads the
body (a dropped connection) leaves no file open for the garbage collector to warn about."""

from __future__ import annotations

import gc
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.test import EnvironBuilder

from .conftest import close_logs, make_app, svc


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    made = make_app(tmp_path / "data")
    yield made
    svc(made).close()
    close_logs()


@pytest.mark.parametrize("path", ["/kiosk-static/kiosk.js", "/static/favicon.svg", "/favicon.ico"])
def test_a_static_file_left_unread_leaves_no_file_open(app: Flask, path: str) -> None:
    environ = EnvironBuilder(path=path, base_url="http://localhost/").get_environ()
    status: list[str] = []

    def start_response(
        code: str, headers: list[tuple[str, str]], exc_info: Any = None, /
    ) -> Callable[[bytes], object]:
        status.append(code)
        return lambda data: None

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        body = app.wsgi_app(environ, start_response)  # the server never iterates nor closes it
        assert status == ["200 OK"]
        del body
        gc.collect()
    assert [w for w in caught if issubclass(w.category, ResourceWarning)] == []
