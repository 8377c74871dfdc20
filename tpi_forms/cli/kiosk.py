"""``tpi-forms kiosk``: serve the reference check-in kiosk, and manage its staff accounts.

``tpi-forms kiosk [options]`` serves; ``tpi-forms kiosk add-user | list-users | disable-user |
enable-user`` manage the per-person staff accounts (needs the ``kiosk`` extra).
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
from pathlib import Path
from typing import Any

from ..errors import AccountError, ListenError, PinError
from ._kiosk_server import WILDCARD_HOSTS, LaterApp, addresses, listen
from ._patient_options import add_patient_arguments, patient_settings

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
DEFAULT_PACKET_WORKERS = min(4, os.cpu_count() or 1)
ROLE_CHOICES = ("clinician", "front_desk", "admin")
"""Staff roles (the same as ``tpi_forms.kiosk.accounts.ROLES``, kept here so --help is light)."""


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
    if not 0 <= value < 65536:
        raise argparse.ArgumentTypeError("a port is between 0 and 65535")
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
            "in the data folder. Staff log in with their own accounts (add-user). On first "
            "start without accounts a set-up PIN is printed once: it opens only the page that "
            "makes the first admin account."
        ),
    )
    parser.add_argument(
        "--host",
        default=DEFAULT_HOST,
        help=f"address to listen on (default {DEFAULT_HOST}; use a LAN address "
        "only behind TLS on a trusted network)",
    )
    parser.add_argument(
        "--port",
        type=_port,
        default=DEFAULT_PORT,
        help=f"port (default {DEFAULT_PORT}; 0 takes any free port and prints it)",
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
        help="set the set-up PIN (used once, to make the first admin account) from the first "
        "line of FILE (6 to 128 characters); only its argon2id hash is stored",
    )
    parser.add_argument(
        "--clinic",
        type=Path,
        metavar="FILE",
        help="the clinic's TOML file (default: the fictitious sample clinic)",
    )
    add_patient_arguments(parser)
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
    actions = _register_accounts(parser)
    _register_backup(actions)
    _register_restore(actions)


def _data_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data",
        type=Path,
        metavar="DIR",
        default=argparse.SUPPRESS,  # keeps a --data given before the action
        help="the kiosk's data folder (default: the per-user data folder)",
    )


def _name_option(parser: argparse.ArgumentParser, text: str) -> None:
    parser.add_argument("--name", required=True, metavar="NAME", help=text)


def _register_accounts(parser: argparse.ArgumentParser) -> Any:
    actions = parser.add_subparsers(dest="kiosk_action", metavar="ACTION")
    add = actions.add_parser(
        "add-user",
        help="add a staff account (one per person)",
        description="Add a staff account with its own PIN or password. Without --secret-file "
        "a PIN is generated and printed once. Works while the kiosk is running.",
    )
    _data_option(add)
    _name_option(add, "the person's full name, as audit trails show it (unique)")
    add.add_argument("--role", required=True, choices=ROLE_CHOICES, help="what the account may do")
    add.add_argument("--credentials", default="", metavar="TEXT", help="e.g. MD, RN (optional)")
    add.add_argument(
        "--secret-file",
        type=Path,
        metavar="FILE",
        help="read the PIN or password from the first line of FILE (6 to 128 characters)",
    )
    add.set_defaults(func=add_user)
    listing = actions.add_parser("list-users", help="list the staff accounts")
    _data_option(listing)
    listing.set_defaults(func=list_users)
    for verb, func in (("disable", disable_user), ("enable", enable_user)):
        change = actions.add_parser(
            f"{verb}-user",
            help=f"{verb} a staff account (accounts are never deleted)",
        )
        _data_option(change)
        _name_option(change, "the account's name")
        change.set_defaults(func=func)
    return actions


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


def allowed_hosts(host: str, extra: list[str]) -> tuple[str, ...]:
    """The hosts the kiosk answers to: loopback names, the listening address, and ``extra``."""
    from ..kiosk.config import DEFAULT_ALLOWED_HOSTS

    listening = () if host in WILDCARD_HOSTS else (host,)
    return tuple(dict.fromkeys((*DEFAULT_ALLOWED_HOSTS, *listening, *extra)))


def default_data_dir() -> Path:
    """The per-user data folder, e.g. ``~/.local/share/tpi-forms``."""
    import platformdirs

    return Path(platformdirs.user_data_dir("tpi-forms"))


def _missing_extra(exc: ImportError) -> int:
    print(
        f"tpi-forms kiosk: error: the kiosk needs the 'kiosk' extra ({exc.name} is missing): "
        'python3 -m pip install "tpi_forms[kiosk]"',
        file=sys.stderr,
    )
    return 2


def _accounts(args: argparse.Namespace, *, create: bool = False) -> Any:
    """The data folder's staff accounts, opened beside a running server if there is one.

    Only ``create`` (add-user, before the first start) makes a data folder that is not there.
    """
    from ..kiosk.accounts import StaffAccounts
    from ..kiosk.store import DATABASE_NAME, KioskStore

    os.umask(0o077)
    data_dir: Path = getattr(args, "data", None) or default_data_dir()
    if not create and not (data_dir / DATABASE_NAME).is_file():
        raise AccountError(f"there is no kiosk database in {data_dir}")
    return StaffAccounts(KioskStore(data_dir, exclusive=False))


def add_user(args: argparse.Namespace) -> int:
    """``kiosk add-user``: make an account; a generated PIN is printed once."""
    try:
        from ..kiosk.accounts import StaffPin, command_line_actor, generate_pin, read_secret_file
    except ImportError as exc:
        return _missing_extra(exc)
    secret = read_secret_file(args.secret_file) if args.secret_file else generate_pin()
    accounts = _accounts(args, create=True)
    try:
        user = accounts.create(
            args.name, args.role, secret, credentials=args.credentials, by=command_line_actor()
        )
        retired = StaffPin(accounts.store.folder).retire()
    finally:
        accounts.store.close()
    print(f"Added {user.display_name} ({user.role.replace('_', ' ')}).")
    if args.secret_file is None:
        # To the terminal only, never to the log: only its hash is stored.
        print(f"PIN for {user.display_name} (shown once, give it to them): {secret}", flush=True)
    if retired:
        print("The shared staff PIN no longer logs in: staff use their own accounts.")
    return 0


def list_users(args: argparse.Namespace) -> int:
    """``kiosk list-users``: every account, active or disabled, by name."""
    try:
        accounts = _accounts(args)
    except ImportError as exc:
        return _missing_extra(exc)
    try:
        users = accounts.users()
    finally:
        accounts.store.close()
    if not users:
        print("No staff accounts yet: add one with tpi-forms kiosk add-user.")
    width = max((len(u.display_name) for u in users), default=0)
    for u in users:
        status = "active" if u.active else "disabled"
        added = u.created_at.strftime("%Y-%m-%d %H:%M UTC")
        role = u.role.replace("_", " ")
        print(f"{u.display_name:<{width}}  {role:<10}  {status:<8}  added {added}")
    return 0


def _change(args: argparse.Namespace, verb: str) -> int:
    try:
        from ..kiosk.accounts import command_line_actor

        accounts = _accounts(args)
    except ImportError as exc:
        return _missing_extra(exc)
    try:
        user = accounts.by_name(args.name)
        if user is None:
            raise AccountError("there is no staff account with this name (see list-users)")
        change = accounts.disable if verb == "disable" else accounts.enable
        changed = change(user.id, by=command_line_actor())
    finally:
        accounts.store.close()
    done = "disabled" if verb == "disable" else "enabled"
    print(f"{user.display_name} is {done}." if changed else f"{user.display_name} was {done}.")
    return 0


def disable_user(args: argparse.Namespace) -> int:
    """``kiosk disable-user``: the account can no longer log in (it stays in the audit trail)."""
    return _change(args, "disable")


def enable_user(args: argparse.Namespace) -> int:
    """``kiosk enable-user``: a disabled account can log in again."""
    return _change(args, "enable")


def run(args: argparse.Namespace) -> int:
    try:
        import waitress  # type: ignore[import-untyped]  # noqa: F401  (the kiosk extra)

        from ..kiosk.app import create_app
        from ..kiosk.config import DEFAULT_IDLE_TIMEOUT, KioskConfig
    except ImportError as exc:
        return _missing_extra(exc)
    os.umask(0o077)  # every file the kiosk writes (database, packets, log) is the owner's only
    data_dir: Path = args.data or default_data_dir()
    config = KioskConfig(
        data_dir=data_dir,
        idle_timeout=args.idle_timeout or DEFAULT_IDLE_TIMEOUT,
        clinic_file=args.clinic,
        **patient_settings(args),
        secure_cookies=args.secure_cookies,
        packet_workers=args.packet_workers,
        seal_key=args.seal_key,
        seal_cert=args.seal_cert,
        allowed_hosts=allowed_hosts(args.host, args.allowed_host),
    )
    later = LaterApp()
    try:  # first: a start that cannot listen makes no data folder, seal or set-up PIN
        server = listen(
            later,
            host=args.host,
            port=args.port,
            threads=args.threads,
            max_body=config.max_content_length,
        )
    except ListenError as exc:
        print(f"tpi-forms kiosk: error: {exc}", file=sys.stderr)
        return 2
    try:
        data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        app = create_app(config)  # it refuses a data folder another server is using
    except BaseException:
        server.close()
        raise
    later.app = app
    services = app.extensions["tpi_kiosk"]
    try:
        new_pin = _setup_pin(services, args.staff_pin_file)
    except (PinError, OSError) as exc:
        server.close()
        services.close()
        print(f"tpi-forms kiosk: error: {exc}", file=sys.stderr)
        return 2
    console = logging.StreamHandler(sys.stderr)
    console.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    logging.getLogger("tpi_forms.kiosk").addHandler(console)
    if new_pin is not None:
        # To the terminal only, never to the log: only its hash is stored.
        print(f"Set-up PIN (shown once, write it down): {new_pin}", flush=True)
        print(
            "Log in with it at /staff/login to make the first admin account "
            "(or run tpi-forms kiosk add-user); then it no longer works.",
            flush=True,
        )
    print(f"Data folder: {data_dir}", flush=True)
    seal = services.seal
    if seal is not None:
        made = " (made now, self-signed: keep a copy apart from the kiosk)" if seal.created else ""
        print(
            f"Packets are sealed; check them with tpi-forms verify --trust {seal.cert_path}{made}"
        )
    for address in addresses(server):
        print(f"Serving the kiosk on {address} (Ctrl+C to stop)", flush=True)
    signal.signal(signal.SIGTERM, _stop)
    if args.host in WILDCARD_HOSTS and not args.allowed_host:
        print(
            "Listening on every address: pass --allowed-host with the name or address the "
            "tablets use, or they are refused",
            flush=True,
        )
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
        services.close()
        print("Kiosk stopped.", flush=True)
    return 0


def _setup_pin(services: Any, pin_file: Path | None) -> str | None:
    """The set-up PIN to print once, while no staff account exists; None when there is none.

    Once accounts exist the shared PIN is retired, and ``--staff-pin-file`` (perhaps still in
    a service file from 0.1.0) is ignored with a warning rather than stopping the kiosk.
    """
    if services.accounts.count() > 0:
        if pin_file is not None:
            print(
                "tpi-forms kiosk: warning: --staff-pin-file is ignored: this kiosk has staff "
                "accounts, so the shared staff PIN is retired (add people with "
                "tpi-forms kiosk add-user)",
                file=sys.stderr,
            )
        services.pin.retire()
        return None
    new_pin: str | None = services.pin.ensure(pin_file)
    return new_pin


def _stop(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt  # stop serving and close the store and packet workers
