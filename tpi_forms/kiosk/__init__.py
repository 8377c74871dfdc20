"""The reference check-in kiosk server (extra ``kiosk``): Flask app, durable store, security.

``tpi_forms.kiosk.store`` needs nothing beyond the standard library; the web app needs the
``kiosk`` extra (Flask, Flask-WTF, argon2-cffi, platformdirs, waitress).
"""
