"""Example answers of a fictitious patient, Alex Example, for demos, docs and tests.

Every date is fixed and far enough in the past that the status does not depend on the day.

>>> example_answers("clear")["patient_name"]
'Alex Example'
"""

from __future__ import annotations

import base64
import copy
import io
import math
from typing import Any

from ..errors import TpiFormsError
from ..json_types import Answer

SCENARIOS = ("clear", "review", "contraindicated")
"""Scenario names, each named after the screening status its answers give."""

_BASE: dict[str, Any] = {
    "patient_name": "Alex Example",
    "date_of_birth": "1980-04-12",
    "form_filled_by": "self",
    "needs_interpreter": False,
    "pain_sites": ["neck", "upper_back"],
    "pain_score": 4,
    "pain_duration": "3_to_12_months",
    "muscle_injury_at_site": False,
    "peg_pain": 5,
    "peg_enjoyment": 4,
    "peg_activity": 5,
    "prior_treatments": ["physical_therapy", "home_exercise", "nsaids"],
    "takes_blood_thinner": False,
    "bleeding_disorder": False,
    "bruises_easily": False,
    "fever_or_illness_today": False,
    "infection_last_4_weeks": False,
    "antibiotics_now": False,
    "skin_problem_at_site": False,
    "allergies": ["none"],
    "could_be_pregnant": "not_applicable",
    "diabetes": False,
    "weakened_immune_system": False,
    "lung_disease": False,
    "thin_build": False,
    "weight_lb": 170,
    "implant_near_site": False,
    "neuromuscular_disease": False,
    "toxicity_conditions": ["none"],
    "keloid_scars": False,
    "faints_with_needles": False,
    "current_medicines": "Ibuprofen 400 mg when needed",
    "has_driver": True,
}

_CHANGES: dict[str, dict[str, Any]] = {
    "clear": {},
    # A blood thinner: a clinician checks the name and last dose first.
    "review": {
        "takes_blood_thinner": True,
        "blood_thinner_names": "Apixaban (Eliquis) 5 mg twice a day",
    },
    # A rash where the injection would go: stop.
    "contraindicated": {"skin_problem_at_site": True},
}


def example_answers(scenario: str) -> dict[str, Answer]:
    """A fresh copy of the answers of scenario ``clear``, ``review`` or ``contraindicated``."""
    if scenario not in _CHANGES:
        raise TpiFormsError(
            f"unknown scenario '{scenario}' (expected one of: {', '.join(SCENARIOS)})"
        )
    answers = copy.deepcopy(_BASE)
    answers.update(copy.deepcopy(_CHANGES[scenario]))
    return answers


def example_signature_png(seed: int = 0, size: tuple[int, int] = (600, 200)) -> bytes:
    """A hand-drawn-looking signature for demos and tests, normalised like a real one.

    Different ``seed`` values give different strokes (and so different image hashes).

    >>> example_signature_png()[:8] == b"\\x89PNG\\r\\n\\x1a\\n"
    True
    """
    from PIL import Image, ImageDraw

    from ..consent.signature import validate_drawn_signature

    width, height = size
    image = Image.new("RGBA", size, (255, 255, 255, 0))
    draw = ImageDraw.Draw(image)
    wave = [
        (
            width * (0.05 + 0.9 * i / 99),
            height * (0.55 - 0.22 * math.sin(i / (8 + seed % 5)) * math.exp(-i / 140)),
        )
        for i in range(100)
    ]
    draw.line(wave, fill=(20, 20, 60, 255), width=5, joint="curve")
    draw.line(
        [(width * 0.1, height * 0.8), (width * 0.9, height * (0.75 - (seed % 7) / 100))],
        fill=(20, 20, 60, 255),
        width=3,
    )
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    url = "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
    return validate_drawn_signature(url).png
