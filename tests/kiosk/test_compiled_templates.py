"""The kiosk's templates are compiled once a process, and again only when they change."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2
import pytest

from tpi_forms.kiosk.app import CompiledTemplates

from .conftest import make_app, svc


def test_a_second_app_compiles_no_template_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = make_app(tmp_path / "one", accounts=False)
    assert first.test_client().get("/").status_code == 200
    compiled: list[str | None] = []
    original = jinja2.Environment.compile

    def counting(self: jinja2.Environment, source: Any, name: str | None = None, *a: Any) -> Any:
        compiled.append(name)
        return original(self, source, name, *a)

    monkeypatch.setattr(jinja2.Environment, "compile", counting)
    second = make_app(tmp_path / "two", accounts=False)
    try:
        page = second.test_client().get("/")
        assert page.status_code == 200 and "<form" in page.get_data(as_text=True)
        assert compiled == []
    finally:
        svc(first).close()
        svc(second).close()


def test_a_changed_template_is_compiled_again() -> None:
    cache = CompiledTemplates()
    sources = {"page.html": "one {{ x }}"}

    def env() -> jinja2.Environment:
        return jinja2.Environment(loader=jinja2.DictLoader(sources), bytecode_cache=cache)

    assert env().get_template("page.html").render(x=1) == "one 1"
    assert env().get_template("page.html").render(x=2) == "one 2"
    sources["page.html"] = "two {{ x }}"
    assert env().get_template("page.html").render(x=3) == "two 3"
