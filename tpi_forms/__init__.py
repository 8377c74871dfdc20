"""Screening questionnaire, explainable rules and signed consent packets for trigger point injections."""

from .__about__ import __version__
from .errors import AnswersError, DefinitionError, TpiFormsError
from .questionnaire import Questionnaire, load_questionnaire
from .texts import Text, UnknownLocaleError

__all__ = [
    "AnswersError",
    "DefinitionError",
    "Questionnaire",
    "Text",
    "TpiFormsError",
    "UnknownLocaleError",
    "__version__",
    "load_questionnaire",
]
