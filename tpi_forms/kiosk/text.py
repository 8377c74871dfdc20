"""Words of the kiosk's own pages (tablet, and staff messages), in every language it ships."""

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
        # Staff pages: a packet PDF that could not be made.
        "staff_packet_failed_title": "The packet PDF could not be made",
        "staff_packet_failed_text": (
            "The signed record is saved: only its PDF is missing. The kiosk tried {attempts} "
            "times and stopped."
        ),
        "staff_packet_retry_button": "Try again",
        "staff_packet_failed_note": "packet could not be made",
        "staff_packet_error": "Error type",
        "staff_packet_reason_disk_full": "The disk is full.",
        "staff_packet_reason_storage": "A file or the database could not be written.",
        "staff_packet_reason_worker_stopped": "The program that makes packets stopped.",
        "staff_packet_reason_timeout": "Making the packet took too long.",
        "staff_packet_reason_render": "The packet could not be made from this record.",
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
        # Páginas del personal: un PDF del paquete que no se pudo hacer.
        "staff_packet_failed_title": "No se pudo hacer el PDF del paquete",
        "staff_packet_failed_text": (
            "El registro firmado está guardado: solo falta su PDF. El quiosco lo intentó "
            "{attempts} veces y se detuvo."
        ),
        "staff_packet_retry_button": "Intentar de nuevo",
        "staff_packet_failed_note": "no se pudo hacer el paquete",
        "staff_packet_error": "Tipo de error",
        "staff_packet_reason_disk_full": "El disco está lleno.",
        "staff_packet_reason_storage": "No se pudo escribir un archivo o la base de datos.",
        "staff_packet_reason_worker_stopped": "El programa que hace los paquetes se detuvo.",
        "staff_packet_reason_timeout": "Hacer el paquete tardó demasiado.",
        "staff_packet_reason_render": "No se pudo hacer el paquete con este registro.",
    },
}
"""Kiosk words by locale; every locale has every key (tested)."""


def kiosk_text(locale: str) -> Mapping[str, str]:
    """The kiosk words in ``locale``, English when the kiosk has no words in it."""
    return KIOSK_TEXT.get(locale, KIOSK_TEXT["en"])
