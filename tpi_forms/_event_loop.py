"""Synchronous functions that run asyncio code inside, callable from code that has a loop.

pyHanko's signing and validation are coroutines; `seal_pdf`, `reseal_pdf` and `validate_seals`
run them with `asyncio.run`, which refuses to start while an event loop runs in the calling
thread (an async web framework's request handler, a notebook, a test driving a browser).
`outside_event_loop` runs such a function in a short-lived thread of its own when a loop is
running, so it behaves the same from synchronous and asynchronous callers.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")


def outside_event_loop(func: Callable[P, T]) -> Callable[P, T]:
    """``func`` as is, or in a thread of its own while an event loop runs in this thread."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            asyncio.get_running_loop()
        except RuntimeError:  # no loop running here: asyncio.run inside is fine
            return func(*args, **kwargs)
        with ThreadPoolExecutor(1, thread_name_prefix="tpi-forms-sync") as pool:
            return pool.submit(func, *args, **kwargs).result()

    return wrapper
