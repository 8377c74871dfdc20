"""``tpi-forms kiosk``: serve the reference check-in kiosk (needs the ``kiosk`` extra)."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
from pathlib import Path
from typing import Any

from ..errors import PinError

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
DEFAULT_PACKET_WORKERS = min(4, os.cpu_count() or 1)


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a whole number of seconds, got {text!r}"
        ) from None
    if value < 10:
        raise argparse.ArgumentTypeError("the idle timeout is at least 10 seconds")
    return value


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a port number, got {text!r}") from None
    if not 0 < value < 65536:
        raise argparse.ArgumentTypeError("a port is between 1 and 65535")
    return value


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if not 0 <= value <= 64:
        raise argparse.ArgumentTypeError("expected a number from 0 to 64")
    return value


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "kiosk",
        help="serve the check-in kiosk (tablet screening, consent, signed packets)",
        description=(
            "Serve the reference check-in kiosk: staff open a check-in, the patient answers "
            "the screening and signs the consent on a tablet, and signed PDF packets are stored "
            "in the data folder. On first start a staff PIN is generated and printed once."
        ),
    )
    parser.add_argument(
        "--host",
        default=DEFAULT_HOST,
        help=f"address to listen on (default {DEFAULT_HOST}; use a LAN address "
        "only behind TLS on a trusted network)",
    )
    parser.add_argument(
        "--port", type=_port, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT})"
    )
    parser.add_argument(
        "--allowed-host",
        action="append",
        default=[],
        metavar="NAME",
        help="a host name or address the tablets use to reach the kiosk (repeat for more); "
        "requests naming any other Host get 400. Always allowed: 127.0.0.1, localhost, ::1 "
        "and the --host address",
    )
    parser.add_argument(
        "--data",
        type=Path,
        metavar="DIR",
        help="data folder: database, packets, PIN hash, log (default: the per-user data folder)",
    )
    parser.add_argument(
        "--idle-timeout",
        type=_positive,
        metavar="SECONDS",
        help="wipe an abandoned tablet session after this many idle seconds (default 180)",
    )
    parser.add_argument(
        "--staff-pin-file",
        type=Path,
        metavar="FILE",
        help="set the staff PIN or password from the first line of FILE "
        "(6 to 128 characters); only its argon2id hash is stored",
    )
    parser.add_argument(
        "--clinic",
        type=Path,
        metavar="FILE",
        help="the clinic's TOML file (default: the fictitious sample clinic)",
    )
    parser.add_argument(
        "--no-self-checkin", action="store_true", help="only staff may start a check-in"
    )
    parser.add_argument(
        "--secure-cookies",
        action="store_true",
        help="mark cookies Secure (when a TLS proxy serves the kiosk)",
    )
    parser.add_argument(
        "--seal-key",
        type=Path,
        metavar="FILE",
        help="the clinic's own seal key (PEM, unencrypted); default: a key the kiosk makes once "
        "in DIR/seal/ with a self-signed certificate",
    )
    parser.add_argument(
        "--seal-cert",
        type=Path,
        metavar="FILE",
        help="the certificate of --seal-key (PEM, its chain after it)",
    )
    parser.add_argument("--threads", type=_count, default=8, help="web threads (default 8)")
    parser.add_argument(
        "--packet-workers",
        type=_count,
        default=DEFAULT_PACKET_WORKERS,
        metavar="N",
        help=f"processes rendering packet PDFs (default {DEFAULT_PACKET_WORKERS}, the CPU count "
        "up to 4; 0 renders in the web thread)",
    )
    parser.set_defaults(func=run)
    actions = parser.add_subparsers(dest="kiosk_action", metavar="ACTION")
    _register_backup(actions)
    _register_restore(actions)


def _register_backup(actions: Any) -> None:
    parser = actions.add_parser(
        "backup",
        help="copy the database and packets to a new folder (safe while the kiosk runs)",
        description=(
            "Copy the kiosk's database (one consistent snapshot, with SQLite's online backup), "
            "every packet PDF it names, the quarantined packets and the settings (secret key, "
            "staff PIN hash, clinic seal) to a new folder, with a manifest of SHA-256 sums. "
            "Safe while the kiosk server runs."
        ),
    )
    parser.add_argument("--data", type=Path, metavar="DIR", required=True, help="data folder")
    parser.add_argument(
        "--to", type=Path, metavar="FOLDER", required=True, help="new (or empty) backup folder"
    )
    parser.set_defaults(func=run_backup)


def _register_restore(actions: Any) -> None:
    parser = actions.add_parser(
        "restore",
        help="restore a backup into a data folder (the kiosk must be stopped); deletes nothing",
        description=(
            "Restore a backup made by 'tpi-forms kiosk backup'. Refused while a kiosk server uses "
            "the data folder. Nothing is deleted: the database in use is moved to "
            "before-restore-<time>/, and packets signed after the backup are kept in the "
            "quarantine folder, where staff see them."
        ),
    )
    parser.add_argument("--data", type=Path, metavar="DIR", required=True, help="data folder")
    parser.add_argument(
        "--from",
        dest="source",
        type=Path,
        metavar="FOLDER",
        required=True,
        help="backup folder",
    )
    parser.set_defaults(func=run_restore)


def run_backup(args: argparse.Namespace) -> int:
    from ..kiosk.backup import backup

    report = backup(args.data, args.to)
    print(
        f"Backed up {report.checkins} check-ins, {report.packets} packets and "
        f"{report.quarantined} quarantined packets to {report.folder}"
    )
    return 0


def run_restore(args: argparse.Namespace) -> int:
    from ..kiosk.backup import restore

    report = restore(args.data, args.source)
    copied = report.packets_copied
    print(f"Restored {report.checkins} check-ins and {copied} packets to {args.data}")
    if report.kept_aside is not None:
        print(f"The database that was in use is kept in {report.kept_aside}")
    if report.quarantined:
        print(
            f"{report.quarantined} packets the backup does not list are kept in "
            f"{args.data / 'quarantine'}; staff see them on the kiosk's staff pages"
        )
    return 0


WILDCARD_HOSTS = ("0.0.0.0", "::", "")
SLOW_CLIENT_SETTINGS: dict[str, Any] = {
    "channel_timeout": 30,  # a connection that sends nothing for 30 s is closed
    "cleanup_interval": 5,  # how often idle connections are looked for
    "asyncore_use_poll": True,  # poll(), not select(): more than 1024 connections
}
"""waitress settings against slow clients: idle connections are closed soon, and the connection
limit (`connection_limit`) is far above what a slowloris on a clinic network can hold open (a
request is handed to a web thread only once it has fully arrived, so slow clients hold no thread).
A kiosk reachable from an untrusted network belongs behind a reverse proxy with its own limits."""


def connection_limit() -> int:
    """Connections waitress keeps open at once: 2000, or fewer when file descriptors are short."""
    import resource

    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return 2000
    return max(100, min(2000, soft - 200))


def allowed_hosts(host: str, extra: list[str]) -> tuple[str, ...]:
    """The hosts the kiosk answers to: loopback names, the listening address, and ``extra``."""
    from ..kiosk.config import DEFAULT_ALLOWED_HOSTS

    listening = () if host in WILDCARD_HOSTS else (host,)
    return tuple(dict.fromkeys((*DEFAULT_ALLOWED_HOSTS, *listening, *extra)))


def default_data_dir() -> Path:
    """The per-user data folder, e.g. ``~/.local/share/tpi-forms``."""
    import platformdirs

    return Path(platformdirs.user_data_dir("tpi-forms"))


def run(args: argparse.Namespace) -> int:
    try:
        import waitress  # type: ignore[import-untyped]

        from ..kiosk.app import create_app
        from ..kiosk.config import DEFAULT_IDLE_TIMEOUT, KioskConfig
        from ..kiosk.security import StaffPin
    except ImportError as exc:
        print(
            f"tpi-forms kiosk: error: the kiosk needs the 'kiosk' extra ({exc.name} is missing): "
            'python3 -m pip install "tpi_forms[kiosk]"',
            file=sys.stderr,
        )
        return 2
    os.umask(0o077)  # every file the kiosk writes (database, packets, log) is the owner's only
    data_dir: Path = args.data or default_data_dir()
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    config = KioskConfig(
        data_dir=data_dir,
        idle_timeout=args.idle_timeout or DEFAULT_IDLE_TIMEOUT,
        clinic_file=args.clinic,
        self_checkin=not args.no_self_checkin,
        secure_cookies=args.secure_cookies,
        packet_workers=args.packet_workers,
        seal_key=args.seal_key,
        seal_cert=args.seal_cert,
        allowed_hosts=allowed_hosts(args.host, args.allowed_host),
    )
    app = create_app(config)  # first: it refuses a data folder another server is using
    services = app.extensions["tpi_kiosk"]
    try:
        new_pin = StaffPin(data_dir).ensure(args.staff_pin_file)
    except PinError as exc:
        services.close()
        print(f"tpi-forms kiosk: error: {exc}", file=sys.stderr)
        return 2
    console = logging.StreamHandler(sys.stderr)
    console.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    logging.getLogger("tpi_forms.kiosk").addHandler(console)
    if new_pin is not None:
        # To the terminal only, never to the log: only its hash is stored.
        print(f"Staff PIN (shown once, write it down): {new_pin}", flush=True)
    print(f"Data folder: {data_dir}", flush=True)
    seal = services.seal
    if seal is not None:
        made = " (made now, self-signed: keep a copy apart from the kiosk)" if seal.created else ""
        print(
            f"Packets are sealed; check them with tpi-forms verify --trust {seal.cert_path}{made}"
        )
    print(f"Serving the kiosk on http://{args.host}:{args.port}/ (Ctrl+C to stop)", flush=True)
    signal.signal(signal.SIGTERM, _stop)
    if args.host in WILDCARD_HOSTS and not args.allowed_host:
        print(
            "Listening on every address: pass --allowed-host with the name or address the "
            "tablets use, or they are refused",
            flush=True,
        )
    try:
        waitress.serve(
            app,
            host=args.host,
            port=args.port,
            threads=max(1, args.threads),
            ident="tpi-forms",
            clear_untrusted_proxy_headers=True,
            max_request_body_size=config.max_content_length,
            _quiet=True,
            **SLOW_CLIENT_SETTINGS,
            connection_limit=connection_limit(),
        )
    except KeyboardInterrupt:
        pass
    finally:
        services.close()
        print("Kiosk stopped.", flush=True)
    return 0


def _stop(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt  # stop serving and close the store and packet workers
