"""The kiosk's web server: waitress bound before anything is shown, with slow-client settings."""

from __future__ import annotations

from typing import Any

from ..errors import ListenError

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


class LaterApp:
    """A WSGI app given after `listen` has bound the socket (set ``app`` before ``run()``), so a
    start that cannot listen makes no kiosk app, data folder, seal or set-up PIN."""

    app: Any = None

    def __call__(self, environ: Any, start_response: Any) -> Any:
        return self.app(environ, start_response)


def listen(app: Any, *, host: str, port: int, threads: int, max_body: int) -> Any:
    """A waitress server for ``app``, its socket already bound and listening (port 0: any free
    port, see `addresses`); nothing is served until its ``run()``.

    Raises `ListenError` with a one-line message naming the address when it cannot be bound.
    """
    import waitress.server  # type: ignore[import-untyped]

    try:
        return waitress.server.create_server(
            app,
            host=host,
            port=port,
            threads=max(1, threads),
            ident="tpi-forms",
            clear_untrusted_proxy_headers=True,
            max_request_body_size=max_body,
            **SLOW_CLIENT_SETTINGS,
            connection_limit=connection_limit(),
        )
    except OSError as exc:
        where = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        raise ListenError(f"cannot listen on {where}: {exc.strerror or exc}") from None


def addresses(server: Any) -> list[str]:
    """The ``http://host:port/`` addresses a server from `listen` is bound to."""
    bound = getattr(server, "effective_listen", None) or [
        (server.effective_host, server.effective_port)
    ]
    return [f"http://[{h}]:{p}/" if ":" in str(h) else f"http://{h}:{p}/" for h, p in bound]
