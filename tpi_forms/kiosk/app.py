"""The kiosk's Flask application: ``create_app(config)`` wires store, security, pages and errors.

>>> import tempfile
>>> from tpi_forms.kiosk.config import KioskConfig
>>> app = create_app(KioskConfig(data_dir=tempfile.mkdtemp(), log_file=False))
>>> app.test_client().get("/").status_code
200
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from pathlib import Path
from typing import Any

import jinja2
from flask import (
    Flask,
    Response,
    g,
    redirect,
    render_template,
    request,
    send_from_directory,
    session,
    url_for,
)
from flask_wtf.csrf import CSRFError, CSRFProtect  # type: ignore[import-untyped]
from werkzeug.exceptions import HTTPException

from .._resources import static_folder, templates_folder
from ..definitions.clinic import Clinic, load_clinic, sample_clinic
from ..i18n import to_zone
from . import patient, staff
from .config import KioskConfig
from .packets import PacketQueue
from .security import (
    AttemptLimiter,
    IdleSessionInterface,
    StaffPin,
    apply_security_headers,
    secret_key,
)
from .services import KioskServices
from .state import CONSENT
from .store import KioskStore
from .text import kiosk_text

LOGGER_NAME = "tpi_forms.kiosk"
SERVER_GRACE_SECONDS = 15
"""The server keeps an idle session this much longer than the page script waits."""
log = logging.getLogger(LOGGER_NAME)

ERROR_TEXT = {
    400: ("This request could not be read", "Please go back and try again."),
    403: ("Not allowed", "This page is for clinic staff."),
    404: ("Page not found", "Please return to the start screen."),
    405: ("Not allowed", "Please return to the start screen."),
    409: ("Already done", "This step was already completed. Please ask a member of staff."),
    413: ("Too much data", "What was sent is too large. Please try again or ask staff."),
    429: ("Please wait", "Too many tries. Please wait a few minutes or ask staff."),
    500: ("Something went wrong", "Nothing was lost. Please ask a member of staff."),
}


def kiosk_static_folder() -> Path:
    """Assets of the kiosk pages themselves (idle timeout, kiosk styles)."""
    return templates_folder() / "kiosk" / "static"


def configure_logging(config: KioskConfig) -> None:
    """Log requests and events, never form values: to ``<data>/kiosk.log`` when enabled.

    One kiosk log file per process: a new app replaces the previous app's file handler.
    """
    log.setLevel(logging.INFO)
    for handler in list(log.handlers):
        if getattr(handler, "_tpi_kiosk", False):
            log.removeHandler(handler)
            handler.close()
    if config.log_file:
        handler = logging.FileHandler(Path(config.data_dir) / "kiosk.log", encoding="utf-8")
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
        handler._tpi_kiosk = True  # type: ignore[attr-defined]
        log.addHandler(handler)


def create_app(config: KioskConfig) -> Flask:
    """The kiosk app over ``config.data_dir`` (created if missing)."""
    data_dir = Path(config.data_dir)
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    app = Flask(__name__, static_folder=None)
    app.jinja_loader = jinja2.FileSystemLoader(str(templates_folder()))
    app.config.update(
        SECRET_KEY=secret_key(data_dir),
        MAX_CONTENT_LENGTH=config.max_content_length,
        MAX_FORM_MEMORY_SIZE=config.max_content_length,
        SESSION_COOKIE_NAME="tpi_kiosk",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        SESSION_COOKIE_SECURE=config.secure_cookies,
        WTF_CSRF_ENABLED=config.csrf,
        WTF_CSRF_TIME_LIMIT=None,  # the session's idle timeout bounds it
        WTF_CSRF_SSL_STRICT=True,
        TESTING=config.testing,
        TEMPLATES_AUTO_RELOAD=False,
    )
    configure_logging(config)
    # The page script wipes an idle tablet at idle_timeout; the server forgets the session a little
    # later, so the script's own wipe request still carries a valid session and CSRF token.
    app.session_interface = IdleSessionInterface(config.idle_timeout + SERVER_GRACE_SECONDS)
    CSRFProtect(app)
    store = KioskStore(data_dir)
    clinic: Clinic = load_clinic(config.clinic_file) if config.clinic_file else sample_clinic()
    app.extensions["tpi_kiosk"] = KioskServices(
        config=config,
        store=store,
        pin=StaffPin(data_dir),
        limiter=AttemptLimiter(config.pin_max_attempts, config.pin_lockout_seconds),
        clinic=clinic,
        packets=PacketQueue(store, CONSENT, config.packet_workers, retry=config.packet_retry),
    )
    app.extensions["tpi_kiosk"].packets.start()

    @app.template_filter("clinic_time")
    def clinic_time(value: dt.datetime, seconds: bool = False) -> str:
        """A stored time as the clinic's local time, e.g. ``2026-03-02 09:30 CST``."""
        local = to_zone(value, clinic.time_zone)
        return local.strftime("%Y-%m-%d %H:%M:%S %Z" if seconds else "%Y-%m-%d %H:%M %Z")

    app.register_blueprint(patient.blueprint)
    app.register_blueprint(staff.blueprint)

    @app.get("/static/<path:filename>")
    def shared_static(filename: str) -> Response:
        return send_from_directory(static_folder(), filename, max_age=3600)

    @app.get("/kiosk-static/<path:filename>")
    def kiosk_static(filename: str) -> Response:
        return send_from_directory(kiosk_static_folder(), filename, max_age=3600)

    @app.before_request
    def start_timer() -> None:
        g.started = time.perf_counter()

    @app.context_processor
    def kiosk_context() -> dict[str, Any]:
        return {
            "idle_timeout": config.idle_timeout,
            "is_staff": staff.is_staff(),
            "clinic_name": clinic.name,
            "kiosk_text": kiosk_text,
        }

    @app.after_request
    def headers(response: Response) -> Response:
        is_static = request.endpoint in ("shared_static", "kiosk_static")
        apply_security_headers(response, no_store=not is_static)
        elapsed = (time.perf_counter() - g.get("started", time.perf_counter())) * 1000
        # Method, route pattern and status only: never the query, form or patient values.
        rule = request.url_rule.rule if request.url_rule else "-"
        log.info("%s %s %s %.0fms", request.method, rule, response.status_code, elapsed)
        return response

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError) -> Any:
        nothing_to_wipe = "checkin" not in session and "staff" not in session
        if request.endpoint in ("patient.timeout", "patient.finish") and nothing_to_wipe:
            # The session this wipe was meant for is already gone (expired): go to the start.
            return redirect(url_for("patient.start"))
        log.warning("csrf refused on %s", request.url_rule.rule if request.url_rule else "-")
        return _error_page(400, "This form has expired", "Please start again from the screen.")

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> tuple[str, int] | HTTPException:
        code = exc.code or 500
        if code < 400:
            return exc
        title, text = ERROR_TEXT.get(code, ERROR_TEXT[400 if code < 500 else 500])
        return _error_page(code, title, text)

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> tuple[str, int]:
        # The type and place only: exception messages could one day carry input.
        log.error("unexpected %s in %s", type(exc).__name__, request.endpoint)
        return _error_page(500, *ERROR_TEXT[500])

    log.info("kiosk started: data folder ready, schema %s", store.schema_version())
    return app


def _error_page(code: int, title: str, text: str) -> tuple[str, int]:
    return render_template("kiosk/error.html", code=code, title=title, text=text), code


__all__ = ["KioskConfig", "create_app"]
