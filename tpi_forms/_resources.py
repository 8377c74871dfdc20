"""Where the shipped definitions, templates and static assets are, in a wheel or a checkout.

A wheel carries the top-level ``templates/`` folder inside the package as
``tpi_forms/templates``; an editable install or a checkout finds it beside the package. Every
other module asks here, so both installs behave the same.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from importlib.resources import as_file, files
from importlib.resources.abc import Traversable
from pathlib import Path

import jinja2


def definition_folder() -> Traversable:
    """The folder of shipped definition files (questionnaire, consent, UI text)."""
    return files("tpi_forms") / "definitions"


@functools.cache
def templates_folder() -> Path:
    """The folder of shipped Jinja2 templates, with their static assets in ``static/``."""
    inside = files("tpi_forms") / "templates"
    if inside.is_dir():
        with as_file(inside) as path:  # a real folder for any installed wheel
            return Path(path)
    checkout = Path(__file__).resolve().parent.parent / "templates"
    if checkout.is_dir():
        return checkout
    raise FileNotFoundError("tpi_forms templates folder is missing from this installation")


def static_folder() -> Path:
    """Static assets (CSS, JavaScript, fonts, images) that pages and PDFs may use."""
    return templates_folder() / "static"


def make_environment(template_dirs: Sequence[str | Path] = ()) -> jinja2.Environment:
    """A Jinja2 environment with autoescaping on; ``template_dirs`` come first (clinic overrides).

    A clinic overrides a shipped template by putting a file of the same name in its own folder.
    """
    loaders: list[jinja2.BaseLoader] = [jinja2.FileSystemLoader(str(d)) for d in template_dirs]
    loaders.append(jinja2.FileSystemLoader(str(templates_folder())))
    return jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


@functools.cache
def default_environment() -> jinja2.Environment:
    """The shared environment over the shipped templates only."""
    return make_environment()
