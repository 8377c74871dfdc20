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
import threading
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
from flask_limiter import Limiter
from flask_wtf.csrf import CSRFError, CSRFProtect  # type: ignore[import-untyped]
from jinja2.bccache import Bucket
from werkzeug.exceptions import HTTPException

from .._resources import static_folder, templates_folder
from ..definitions.clinic import Clinic, load_clinic, sample_clinic
from ..i18n import to_zone
from . import certify, consent_pages, patient, staff, staff_review, staff_users
from .accounts import StaffAccounts, StaffPin
from .config import KioskConfig
from .packets import PacketQueue, SealedRenderer, render_record_json
from .sealing import ClinicSeal, clinic_seal
from .security import (
    AttemptLimiter,
    HostAllowList,
    IdleSessionInterface,
    apply_security_headers,
    client_key,
    secret_key,
)
from .services import KioskServices
from .state import CONSENT
from .store import KioskStore
from .text import kiosk_locales, kiosk_text, language_links, page_locale, set_page_locale
from .warm_up import SampleRecord

LOGGER_NAME = "tpi_forms.kiosk"
SERVER_GRACE_SECONDS = 15
"""The server keeps an idle session this much longer than the page script waits."""
log = logging.getLogger(LOGGER_NAME)

STATIC_ENDPOINTS = ("shared_static", "kiosk_static", "favicon")


def _read_now(response: Response) -> Response:
    """A static file's response with the file read and closed now (the assets are small): a
    tablet that drops the connection before the body is sent leaves no file open."""
    response.direct_passthrough = False
    response.get_data()
    response.close()
    return response


class CompiledTemplates(jinja2.BytecodeCache):
    """The kiosk templates' compiled code, kept in memory for every app of the process.

    Each app has its own Jinja environment; with this cache a second app (a server's reload,
    or many apps in one test run) loads each template's code instead of compiling it again.
    Jinja checks each entry against its template's source checksum, so a changed template is
    compiled again. The entries are as many as the kiosk's templates.
    """

    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}
        self._lock = threading.Lock()

    def load_bytecode(self, bucket: Bucket) -> None:
        with self._lock:
            code = self._code.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: Bucket) -> None:
        code = bucket.bytecode_to_string()
        with self._lock:
            self._code[bucket.key] = code


COMPILED_TEMPLATES = CompiledTemplates()


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
    app.jinja_options = {**app.jinja_options, "bytecode_cache": COMPILED_TEMPLATES}
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
    try:
        seal = _seal(config, clinic)
    except BaseException:
        store.close()
        raise
    render = SealedRenderer(seal.key_pem, seal.cert_pem) if seal else render_record_json
    app.extensions["tpi_kiosk"] = KioskServices(
        config=config,
        store=store,
        accounts=StaffAccounts(store),
        pin=StaffPin(data_dir),
        limiter=AttemptLimiter(
            config.pin_max_attempts,
            config.pin_lockout_seconds,
            account_max_attempts=config.account_max_attempts,
        ),
        clinic=clinic,
        packets=PacketQueue(
            store,
            CONSENT,
            config.packet_workers,
            retry=config.packet_retry,
            render=render,
            warm=SampleRecord(clinic) if config.warm_packets else None,
        ),
        seal=seal,
    )
    app.extensions["tpi_kiosk"].packets.start()
    kiosk_locales()  # load and check the kiosk's words now, not on the first page

    @app.template_filter("clinic_time")
    def clinic_time(value: dt.datetime, seconds: bool = False) -> str:
        """A stored time as the clinic's local time, e.g. ``2026-03-02 09:30 CST``."""
        local = to_zone(value, clinic.time_zone)
        return local.strftime("%Y-%m-%d %H:%M:%S %Z" if seconds else "%Y-%m-%d %H:%M %Z")

    app.register_blueprint(patient.blueprint)
    app.register_blueprint(staff.blueprint)
    app.register_blueprint(staff_users.blueprint)
    app.register_blueprint(consent_pages.blueprint)
    app.register_blueprint(certify.blueprint)
    app.register_blueprint(staff_review.blueprint)
    _limit_self_checkins(app, config)
    refused = kiosk_text(clinic.default_locale)
    app.wsgi_app = HostAllowList(  # type: ignore[method-assign]
        app.wsgi_app,
        config.allowed_hosts,
        f"{refused['error.400.title']}. {refused['error.400.text']}",
    )

    @app.get("/static/<path:filename>")
    def shared_static(filename: str) -> Response:
        return _read_now(send_from_directory(static_folder(), filename, max_age=3600))

    @app.get("/favicon.ico")
    def favicon() -> Response:
        """The icon for browsers that ask for it by name (a PDF opened in a tab, say)."""
        return _read_now(
            send_from_directory(
                static_folder(), "favicon.svg", mimetype="image/svg+xml", max_age=3600
            )
        )

    @app.get("/kiosk-static/<path:filename>")
    def kiosk_static(filename: str) -> Response:
        return _read_now(send_from_directory(kiosk_static_folder(), filename, max_age=3600))

    @app.before_request
    def start_timer() -> None:
        g.started = time.perf_counter()

    @app.before_request
    def pick_language() -> None:
        """``?lang=<locale>`` on any page makes that the session's language (the switch)."""
        chosen = request.args.get("lang")
        if chosen and request.endpoint not in STATIC_ENDPOINTS:
            set_page_locale(chosen)

    @app.context_processor
    def kiosk_context() -> dict[str, Any]:
        locale = page_locale()
        return {
            "idle_timeout": config.idle_timeout,
            "idle_warning": config.idle_warning,
            "is_staff": staff.is_staff(),
            "staff_user": staff.current_user(),
            "clinic_name": clinic.name,
            "kiosk_text": kiosk_text,
            "locale": locale,
            "language_label": kiosk_text(locale)["common.language"],
            "language_links": language_links,
        }

    @app.after_request
    def headers(response: Response) -> Response:
        is_static = request.endpoint in STATIC_ENDPOINTS
        apply_security_headers(response, no_store=not is_static)
        elapsed = (time.perf_counter() - g.get("started", time.perf_counter())) * 1000
        # Method, route pattern and status only: never the query, form or patient values.
        rule = request.url_rule.rule if request.url_rule else "-"
        log.info("%s %s %s %.0fms", request.method, rule, response.status_code, elapsed)
        return response

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError) -> Any:
        nothing_to_wipe = "checkin" not in session and "staff_user" not in session
        if request.endpoint in ("patient.timeout", "patient.finish") and nothing_to_wipe:
            # The session this wipe was meant for is already gone (expired): go to the start.
            return redirect(url_for("patient.start"))
        log.warning("csrf refused on %s", request.url_rule.rule if request.url_rule else "-")
        return _error_page(400, "csrf")

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> tuple[str, int] | HTTPException:
        code = exc.code or 500
        if code < 400:
            return exc
        return _error_page(code, str(code))

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> tuple[str, int]:
        # The type and place only: exception messages could one day carry input.
        log.error("unexpected %s in %s", type(exc).__name__, request.endpoint)
        return _error_page(500, "500")

    log.info("kiosk started: data folder ready, schema %s", store.schema_version())
    return app


def _limit_self_checkins(app: Flask, config: KioskConfig) -> None:
    """Rate limits on anonymous self check-in: per client address, and for all clients together.

    In memory: the kiosk is one process. A client over a limit gets the 429 page.
    """
    limiter = Limiter(
        key_func=lambda: client_key(request),
        app=app,
        storage_uri="memory://",
        headers_enabled=False,
    )
    endpoint = "patient.self_checkin"
    view: Any = limiter.limit(config.self_checkin_per_client)(app.view_functions[endpoint])
    view = limiter.limit(
        config.self_checkin_total, key_func=lambda: "all", scope="self-checkin-total"
    )(view)
    app.view_functions[endpoint] = view


def _seal(config: KioskConfig, clinic: Clinic) -> ClinicSeal | None:
    """The clinic seal packets are sealed with (made on first start), or None when turned off."""
    if not config.seal_packets:
        return None
    return clinic_seal(config.data_dir, clinic.name, config.seal_key, config.seal_cert)


def _error_page(code: int, kind: str) -> tuple[str, int]:
    """The error page in the page's language; ``kind`` is a status code or ``csrf``."""
    t = kiosk_text(page_locale())
    if f"error.{kind}.title" not in t:
        kind = "400" if code < 500 else "500"
    page = render_template(
        "kiosk/error.html", code=code, title=t[f"error.{kind}.title"], text=t[f"error.{kind}.text"]
    )
    return page, code


__all__ = ["KioskConfig", "create_app"]
