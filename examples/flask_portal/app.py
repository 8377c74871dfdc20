"""A clinic portal page that embeds the tpi_forms fragments (Flask with Flask-WTF CSRF).

The patient answers the screening form (the embeddable fragment, a ``FlaskForm`` so its CSRF
token is checked), is screened on submit, reads and signs the consent (the consent fragment,
its signature pad and evidence of review), and the signed packet is stored as a PDF/A-3 file
named by a random visit id (never by the patient's name).

    pip install 'tpi_forms[kiosk]'
    python examples/flask_portal/app.py --storage packets/     # then open http://127.0.0.1:5000/

This is an example, not a production portal: visits live in memory, there is no login, and
the planned procedure is fixed in `PLAN`. A portal keeps visits in its database, signs the
patient in, and lets the clinician set the plan.
"""

from __future__ import annotations

import argparse
import datetime as dt
import secrets
from pathlib import Path
from typing import Any

from flask import Flask, abort, redirect, render_template, request, send_file, session, url_for
from flask_wtf import FlaskForm  # type: ignore[import-untyped]
from flask_wtf.csrf import CSRFProtect, generate_csrf  # type: ignore[import-untyped]
from markupsafe import Markup
from werkzeug.wrappers import Response

from tpi_forms import ConsentFormError, build_consent, required_signers, sample_clinic, screen
from tpi_forms.consent.document import ConsentDocument
from tpi_forms.consent.signing import parse_consent_submission
from tpi_forms.pdf.packet import build_record, render_packet, write_atomically
from tpi_forms.record.model import AuditEvent
from tpi_forms.screening.procedure import PlannedProcedure
from tpi_forms.web.forms import build_form_class
from tpi_forms.web.html import render_consent_page, render_form_html, static_files

PLAN = PlannedProcedure(sites=None, local_anesthetic="lidocaine", corticosteroid=False)
"""The planned procedure: the patient's pain sites, lidocaine, no steroid."""
ROLES = ("patient",)
"""Who signs in the portal; the clinician countersigns at the visit."""
LOCALES = ("en", "es")
DEVICE = "portal"
MESSAGES = {
    "en": {
        "call": "Please call the clinic before your visit. A clinician needs to talk with you.",
        "stored": "Thank you. Your signed forms are stored with the clinic.",
    },
    "es": {
        "call": "Llame a la clínica antes de su cita. Un médico tiene que hablar con usted.",
        "stored": "Gracias. Sus formularios firmados quedan guardados en la clínica.",
    },
}


def create_app(storage: Path, *, secret_key: str | None = None) -> Flask:
    """The portal app; signed packets are written to ``storage``."""
    app = Flask(__name__, root_path=str(Path(__file__).resolve().parent))
    app.config["SECRET_KEY"] = secret_key or secrets.token_hex(32)
    app.config["PACKET_STORAGE"] = Path(storage)
    Path(storage).mkdir(parents=True, exist_ok=True)
    CSRFProtect(app)  # every POST needs the token; the screening FlaskForm checks it too
    visits: dict[str, dict[str, Any]] = {}  # in memory for the example; a portal uses its database
    assets = static_files()

    def visit() -> dict[str, Any]:
        """This browser's visit (answers stay on the server; the cookie holds a random id)."""
        vid = session.get("visit")
        if vid not in visits:
            vid = secrets.token_urlsafe(16)
            session["visit"] = vid
            visits[vid] = {"id": vid, "locale": "en", "events": []}
        return visits[vid]

    def event(v: dict[str, Any], name: str, **detail: str | int) -> None:
        v["events"].append(AuditEvent(dt.datetime.now(dt.UTC), name, detail, DEVICE))

    def screening_form(locale: str) -> Any:
        return build_form_class(locale=locale, base=FlaskForm)()

    def page(fragment: str, locale: str, *, consent: bool = False, message: str = "") -> str:
        scripts = ["tpi-forms.js", *(["signature-pad.js", "consent.js"] if consent else [])]
        return render_template(
            "portal.html",
            fragment=Markup(fragment),
            locale=locale,
            scripts=scripts,
            message=message,
        )

    def consent_document(v: dict[str, Any]) -> ConsentDocument:
        return build_consent(PLAN, sample_clinic(), v["locale"], answers=v["answers"])

    def consent_page(v: dict[str, Any], **extra: Any) -> str:
        hidden = {"csrf_token": generate_csrf()}
        html = render_consent_page(
            consent_document(v),
            action=url_for("consent"),
            roles=ROLES,
            required_signers=v.get("required", ()),
            hidden=hidden,
            fragment=True,
            **extra,
        )
        return page(html, v["locale"], consent=True)

    @app.get("/tpi-static/<name>")
    def tpi_static(name: str) -> Response:
        if name not in assets:
            abort(404)
        return send_file(assets[name])

    @app.get("/")
    def start() -> str:
        v = visit()
        if request.args.get("lang") in LOCALES:
            v["locale"] = request.args["lang"]
        event(v, "form_opened", locale=v["locale"])
        fragment = render_form_html(screening_form(v["locale"]), action=url_for("screening"))
        return page(fragment, v["locale"])

    @app.post("/screening")
    def screening() -> str | Response:
        v = visit()
        form = screening_form(v["locale"])
        if not form.validate():
            return page(render_form_html(form, action=url_for("screening")), v["locale"])
        v["answers"] = form.answers()
        result = screen(v["answers"], PLAN, locale=v["locale"])
        v["status"] = result.status
        v["required"] = required_signers(result.findings)  # a minor's legal representative
        event(v, "screened", status=result.status)
        if result.status == "contraindicated":
            lines = "".join(
                f"<li>{Markup.escape(f.patient_message)}</li>"
                for f in result.findings_of("contraindicated")
            )
            return page(
                f'<ul class="tpi-findings">{lines}</ul>',
                v["locale"],
                message=MESSAGES[v["locale"]]["call"],
            )
        return redirect(url_for("consent"))

    @app.route("/consent", methods=["GET", "POST"])
    def consent() -> str | Response:
        v = visit()
        if "answers" not in v or v.get("status") == "contraindicated":
            return redirect(url_for("start"))
        if request.method == "GET":
            return consent_page(v)
        document = consent_document(v)
        try:
            submission = parse_consent_submission(
                document,
                request.form,
                roles=ROLES,
                required_signers=v.get("required", ()),
                device_id=DEVICE,
            )
        except ConsentFormError as exc:
            return consent_page(v, values=request.form, errors=exc.errors)
        record = build_record(
            v["answers"],
            submission.signatures,
            procedure=PLAN,
            clinic=sample_clinic(),
            locale=v["locale"],
            audit=[*v["events"], *submission.events],
            device_id=DEVICE,
            consent=document.to_dict(),
        )
        path = app.config["PACKET_STORAGE"] / f"{v['id']}.pdf"
        write_atomically(path, render_packet(record))
        visits.pop(v["id"], None)
        session.pop("visit", None)
        return page("", record.locale, message=MESSAGES[record.locale]["stored"])

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description="Run the example portal on this computer.")
    parser.add_argument(
        "--storage", type=Path, default=Path("packets"), help="folder for signed packets"
    )
    parser.add_argument("--port", type=int, default=5000)
    args = parser.parse_args()
    create_app(args.storage).run(port=args.port)


if __name__ == "__main__":
    main()
