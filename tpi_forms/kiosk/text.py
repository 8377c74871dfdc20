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
        # Staff accounts and log-in (staff pages).
        "staff_account_label": "Your name",
        "staff_account_choose": "Choose your name",
        "staff_secret_label": "Your PIN",
        "staff_login_missing": "Choose your name and enter your PIN.",
        "staff_pin_wrong_one": "That PIN is not right. 1 try left.",
        "staff_pin_wrong_many": "That PIN is not right. {count} tries left.",
        "staff_locked_one": "Too many wrong tries. Try again in 1 minute.",
        "staff_locked_many": "Too many wrong tries. Try again in {minutes} minutes.",
        "staff_setup_note": (
            "There are no staff accounts yet. Enter the shared staff PIN to make the first "
            "admin account."
        ),
        "staff_no_accounts": (
            "There are no staff accounts yet. Make one with the command tpi-forms kiosk add-user."
        ),
        "staff_setup_done": (
            "The admin account is made and the shared staff PIN no longer works. "
            "Log in with your name and your own PIN."
        ),
        "staff_logged_in_as": "Logged in: {name}",
        "staff_role_refused": (
            "Your staff account cannot do this. Please ask a clinician or an admin."
        ),
        "staff_clinician_only": "Only a clinician or an admin can clear or stop a check-in.",
        "staff_event_by": "by {name}",
        "role_clinician": "Clinician",
        "role_front_desk": "Front desk",
        "role_admin": "Admin",
        "staff_users_link": "Staff accounts",
        "staff_users_title": "Staff accounts",
        "staff_users_first_title": "Make the first admin account",
        "staff_users_first_note": (
            "This is your own account. Once it is made, the shared staff PIN no longer works."
        ),
        "staff_users_add_title": "Add an account",
        "staff_users_name": "Full name",
        "staff_users_credentials": "Credentials (for example MD, RN)",
        "staff_users_role": "Role",
        "staff_users_pin": "PIN or password (6 to 128 characters)",
        "staff_users_pin_hint": "Leave it empty to make a PIN that is shown once.",
        "staff_users_add_button": "Add account",
        "staff_users_col_name": "Name",
        "staff_users_col_role": "Role",
        "staff_users_col_status": "Status",
        "staff_users_col_added": "Added",
        "staff_users_col_actions": "Actions",
        "staff_users_active": "Active",
        "staff_users_disabled": "Disabled",
        "staff_users_you": "you",
        "staff_users_disable": "Disable",
        "staff_users_enable": "Enable",
        "staff_users_new_pin": "New PIN",
        "staff_users_added": "Account added for {name}.",
        "staff_users_shown_once": "The PIN for {name} is {pin}. It is shown only this once.",
        "staff_users_not_self": "You cannot disable your own account.",
        "staff_users_name_taken": "There is already an account with this name.",
        "staff_users_name_bad": "Enter a name without special invisible characters.",
        "staff_users_last_admin": "At least one admin account must stay active.",
        "staff_users_pin_rules": "A PIN or password has 6 to 128 characters.",
        "staff_users_name_missing": "Enter the person's full name.",
        "staff_users_too_long": "This is too long.",
        "staff_back": "Back",
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
        # Staff accounts and log-in (staff pages).
        "staff_account_label": "Su nombre",
        "staff_account_choose": "Elija su nombre",
        "staff_secret_label": "Su PIN",
        "staff_login_missing": "Elija su nombre y escriba su PIN.",
        "staff_pin_wrong_one": "Ese PIN no es correcto. Le queda 1 intento.",
        "staff_pin_wrong_many": "Ese PIN no es correcto. Le quedan {count} intentos.",
        "staff_locked_one": "Demasiados intentos incorrectos. Vuelva a intentarlo en 1 minuto.",
        "staff_locked_many": (
            "Demasiados intentos incorrectos. Vuelva a intentarlo en {minutes} minutos."
        ),
        "staff_setup_note": (
            "Todavía no hay cuentas del personal. Escriba el PIN compartido del personal para "
            "crear la primera cuenta de administrador."
        ),
        "staff_no_accounts": (
            "Todavía no hay cuentas del personal. Cree una con el comando tpi-forms kiosk add-user."
        ),
        "staff_setup_done": (
            "La cuenta de administrador está creada y el PIN compartido ya no funciona. "
            "Entre con su nombre y su propio PIN."
        ),
        "staff_logged_in_as": "Sesión de: {name}",
        "staff_role_refused": (
            "Su cuenta del personal no puede hacer esto. Pida ayuda a un clínico o a un "
            "administrador."
        ),
        "staff_clinician_only": (
            "Solo un clínico o un administrador puede aprobar o detener un registro."
        ),
        "staff_event_by": "por {name}",
        "role_clinician": "Clínico",
        "role_front_desk": "Recepción",
        "role_admin": "Administrador",
        "staff_users_link": "Cuentas del personal",
        "staff_users_title": "Cuentas del personal",
        "staff_users_first_title": "Crear la primera cuenta de administrador",
        "staff_users_first_note": (
            "Esta es su propia cuenta. Cuando esté creada, el PIN compartido ya no funcionará."
        ),
        "staff_users_add_title": "Agregar una cuenta",
        "staff_users_name": "Nombre completo",
        "staff_users_credentials": "Títulos (por ejemplo MD, RN)",
        "staff_users_role": "Función",
        "staff_users_pin": "PIN o contraseña (de 6 a 128 caracteres)",
        "staff_users_pin_hint": "Déjelo vacío para crear un PIN que se muestra una sola vez.",
        "staff_users_add_button": "Agregar cuenta",
        "staff_users_col_name": "Nombre",
        "staff_users_col_role": "Función",
        "staff_users_col_status": "Estado",
        "staff_users_col_added": "Creada",
        "staff_users_col_actions": "Acciones",
        "staff_users_active": "Activa",
        "staff_users_disabled": "Desactivada",
        "staff_users_you": "usted",
        "staff_users_disable": "Desactivar",
        "staff_users_enable": "Activar",
        "staff_users_new_pin": "PIN nuevo",
        "staff_users_added": "Cuenta creada para {name}.",
        "staff_users_shown_once": "El PIN de {name} es {pin}. Se muestra solo esta vez.",
        "staff_users_not_self": "No puede desactivar su propia cuenta.",
        "staff_users_name_taken": "Ya hay una cuenta con este nombre.",
        "staff_users_name_bad": "Escriba un nombre sin caracteres invisibles especiales.",
        "staff_users_last_admin": "Debe quedar activa al menos una cuenta de administrador.",
        "staff_users_pin_rules": "Un PIN o contraseña tiene de 6 a 128 caracteres.",
        "staff_users_name_missing": "Escriba el nombre completo de la persona.",
        "staff_users_too_long": "Esto es demasiado largo.",
        "staff_back": "Volver",
    },
}
"""Tablet words by locale; every locale has every key (tested)."""


def kiosk_text(locale: str) -> Mapping[str, str]:
    """The kiosk words in ``locale``, English when the kiosk has no words in it."""
    return KIOSK_TEXT.get(locale, KIOSK_TEXT["en"])
