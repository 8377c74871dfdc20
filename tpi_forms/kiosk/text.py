"""Words of the kiosk's own tablet pages, in every language the questionnaire ships."""

from __future__ import annotations

from collections.abc import Mapping

KIOSK_TEXT: Mapping[str, Mapping[str, str]] = {
    "en": {
        "welcome": "Welcome",
        "start_intro": "Please check in for your visit. A member of staff can help you.",
        "start_button": "Start check-in",
        "expired": "The last session ended because the screen was not used for a while.",
        "wait_title": "Thank you",
        "wait_text": "Thank you. A member of staff will be with you shortly.",
        "wait_hint": "Please stay seated. You can put the tablet down.",
        "done_title": "You are all done",
        "done_text": "Thank you. Your forms are signed and saved.",
        "copy_button": "I would like a paper copy",
        "copy_requested": "A member of staff will print a copy for you.",
        "copy_hint": "You have the right to a paper copy of what you signed.",
        "finish_button": "Finish",
        "staff_link": "Staff",
    },
    "es": {
        "welcome": "Bienvenido",
        "start_intro": "Por favor, regístrese para su cita. El personal le puede ayudar.",
        "start_button": "Empezar el registro",
        "expired": "La sesión anterior terminó porque la pantalla no se usó por un tiempo.",
        "wait_title": "Gracias",
        "wait_text": "Gracias. Un miembro del personal le atenderá pronto.",
        "wait_hint": "Por favor, quédese sentado. Puede dejar la tableta.",
        "done_title": "Ya terminó",
        "done_text": "Gracias. Sus formularios están firmados y guardados.",
        "copy_button": "Quiero una copia en papel",
        "copy_requested": "Un miembro del personal le imprimirá una copia.",
        "copy_hint": "Usted tiene derecho a una copia en papel de lo que firmó.",
        "finish_button": "Terminar",
        "staff_link": "Personal",
    },
}
"""Tablet words by locale; every locale has every key (tested)."""


def kiosk_text(locale: str) -> Mapping[str, str]:
    """The kiosk words in ``locale``, English when the kiosk has no words in it."""
    return KIOSK_TEXT.get(locale, KIOSK_TEXT["en"])
