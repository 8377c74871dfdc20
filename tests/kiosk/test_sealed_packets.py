"""Kiosk packets are sealed by default: a clinic seal made on first start, or the clinic's own."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from flask import Flask
from seal_fixtures import make_pki

from tpi_forms.cli import main
from tpi_forms.kiosk.sealing import CERT_FILE, KEY_FILE, SEAL_FOLDER, make_self_signed
from tpi_forms.verify.packet import verify_packet

from .conftest import close_logs, make_app, svc
from .kiosk_client import handover, open_checkin, sign, staff_login, submit_screening


def signed_packet(app: Flask) -> bytes:
    """One patient through the kiosk; returns the stored packet PDF."""
    client = app.test_client()
    staff_login(client)
    url = open_checkin(client)
    handover(client, url)
    assert submit_screening(client).status_code == 302
    assert sign(client).status_code == 302
    services = svc(app)
    assert services.packets.wait_idle(120)
    data = services.store.read_packet(url.rsplit("/", 1)[1])
    assert data is not None
    return data


def test_first_start_makes_a_seal_and_every_packet_verifies_with_its_certificate(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    app = make_app(data, packet_workers=0)
    try:
        key, cert = data / SEAL_FOLDER / KEY_FILE, data / SEAL_FOLDER / CERT_FILE
        assert stat.S_IMODE(key.stat().st_mode) == 0o600
        assert stat.S_IMODE(cert.stat().st_mode) == 0o600
        packet = signed_packet(app)
        client = app.test_client()
        assert client.get("/staff/seal-certificate.pem").status_code == 302  # staff only
        staff_login(client)
        assert "Download the seal certificate" in client.get("/staff/").get_data(as_text=True)
        download = client.get("/staff/seal-certificate.pem")
        assert download.status_code == 200 and download.data == cert.read_bytes()
    finally:
        svc(app).close()
        close_logs()

    result = verify_packet(packet, trust_roots=[cert.read_bytes()])
    assert result.ok, [c for c in result.checks if not c.passed]
    assert result.seal_level == "B-B"
    (tmp_path / "packet.pdf").write_bytes(packet)
    (tmp_path / "other.pem").write_bytes(make_self_signed("Someone Else")[1])
    assert main(["verify", "--trust", str(cert), str(tmp_path / "packet.pdf")]) == 0
    assert main(["verify", "--trust", str(tmp_path / "other.pem"), str(tmp_path / "packet.pdf")])
    out = capsys.readouterr().out
    assert "FAIL seal_trusted" in out and "does not chain to a given trust root" in out

    again = make_app(data, packet_workers=0)  # the next start keeps the same seal
    try:
        seal = svc(again).seal
        assert seal is not None and seal.cert_path == cert
        assert not seal.created
    finally:
        svc(again).close()
        close_logs()


def test_the_clinics_own_seal_is_used_when_given(tmp_path: Path) -> None:
    pki = make_pki()
    (tmp_path / "key.pem").write_bytes(pki.clinic_key)
    (tmp_path / "cert.pem").write_bytes(pki.clinic_cert)
    app = make_app(
        tmp_path / "data",
        packet_workers=0,
        seal_key=tmp_path / "key.pem",
        seal_cert=tmp_path / "cert.pem",
    )
    try:
        packet = signed_packet(app)
    finally:
        svc(app).close()
        close_logs()
    assert not (tmp_path / "data" / SEAL_FOLDER).exists()
    assert verify_packet(packet, trust_roots=[pki.ca_cert]).ok
    assert not verify_packet(packet, trust_roots=[pki.other_ca_cert]).ok


@pytest.mark.parametrize(
    ("files", "message"),
    [
        (("key",), "give both --seal-key and --seal-cert"),
        (("key", "other-cert"), "the seal key does not belong to the seal certificate"),
        (("garbage", "cert"), "cannot read the seal key or certificate"),
    ],
)
def test_a_bad_seal_is_one_line_at_start(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], files: tuple[str, ...], message: str
) -> None:
    pki = make_pki()
    own = {
        "key": pki.clinic_key,
        "cert": pki.clinic_cert,
        "other-cert": make_self_signed("Other")[1],
        "garbage": b"not a key",
    }
    argv = ["kiosk", "--data", str(tmp_path / "data"), "--port", "1"]
    for option, name in zip(("--seal-key", "--seal-cert"), files, strict=False):
        (tmp_path / name).write_bytes(own[name])
        argv += [option, str(tmp_path / name)]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err
    close_logs()
