"""Packet PDFs rendered in the background from signed records already committed to the store.

Signing commits the complete `ConsentRecord` first, so the patient is told "signed and saved"
only once nothing can be lost; the PDF is derived from that record. Rendering takes a second or
more per packet, so it runs here, off the request: in worker processes when configured (PDF
rendering is CPU-bound pure Python), else in this queue's threads. Records still without a
packet when the server starts (it stopped mid-render) are rendered again at start.

A render that fails is tried again after a wait that doubles each time (`RetryPolicy`). A
failure that may pass by itself (a full disk, a worker process that died) is tried many more
times than one that will fail the same way again (a record the renderer refuses). Each failed
try is a ``packet_failed`` event; after the last one the kiosk records ``packet_gave_up`` with
the error's type and a reason key (never the exception's message, which could hold patient
text) and staff see that the packet could not be made, with a "try again" button. Nothing that
goes wrong while recording a failure stops the queue's threads.
"""

from __future__ import annotations

import errno
import json
import logging
import multiprocessing
import queue
import sqlite3
import threading
import time
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass

from ..errors import ConflictError
from ..pdf.packet import render_packet
from ..record.model import ConsentRecord
from .config import RetryPolicy
from .state import PACKET_FAILED, PACKET_GAVE_UP, PACKET_RETRY, packet_failure
from .store import KioskStore

log = logging.getLogger("tpi_forms.kiosk")

RENDER_TIMEOUT = 300
"""Seconds one packet may take in a worker process before it counts as failed."""
REASONS = ("disk_full", "storage", "worker_stopped", "timeout", "render")
"""Why a render failed, as keys of the staff words (``packet_reason_<key>``)."""

Renderer = Callable[[bytes], bytes]
"""Makes the PDF of a record given as JSON; in worker processes it must be picklable."""


def render_record_json(record_json: bytes) -> bytes:
    """The packet PDF of a record given as JSON (runs in a worker process)."""
    return render_packet(ConsentRecord.from_json(record_json))


@dataclass(frozen=True)
class RenderFailure:
    """One failed try, described without patient data: the error's type and a reason key."""

    error: str
    """The exception's class name, e.g. ``OSError`` or ``PacketError``."""
    reason: str
    """One of `REASONS`; the staff page shows it in words."""
    transient: bool
    """Whether it may pass by itself (then it is tried more often)."""


def classify(exc: BaseException) -> RenderFailure:
    """What kind of failure ``exc`` is (its message is never read: it could hold patient text)."""
    name = type(exc).__name__
    if isinstance(exc, BrokenProcessPool):
        return RenderFailure(name, "worker_stopped", True)
    if isinstance(exc, TimeoutError):
        return RenderFailure(name, "timeout", False)
    if isinstance(exc, OSError):
        full = exc.errno in (errno.ENOSPC, errno.EDQUOT)
        return RenderFailure(name, "disk_full" if full else "storage", True)
    if isinstance(exc, sqlite3.OperationalError):
        full = getattr(exc, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL
        return RenderFailure(name, "disk_full" if full else "storage", True)
    return RenderFailure(name, "render", False)


def process_pool(workers: int) -> Executor | None:
    """Worker processes for packets, started fresh (forkserver or spawn), or None for 0."""
    if workers <= 0:
        return None
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
    return ProcessPoolExecutor(max_workers=workers, mp_context=context)


class PacketQueue:
    """Renders and stores the packets of signed submissions of one kind, one at a time per thread.

    :param kind: the submission kind whose payload is a `ConsentRecord` dict.
    :param workers: worker processes (0: render in this queue's single thread).
    :param retry: how failed renders are tried again.
    :param render: makes a PDF from record JSON (tests pass one that fails).
    """

    def __init__(
        self,
        store: KioskStore,
        kind: str,
        workers: int = 0,
        *,
        retry: RetryPolicy | None = None,
        render: Renderer = render_record_json,
    ) -> None:
        self.store = store
        self.kind = kind
        self.workers = workers
        self.retry_policy = retry or RetryPolicy()
        self.render = render
        self.pool = process_pool(workers)
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._threads = [
            threading.Thread(target=self._run, name=f"tpi-packets-{i}", daemon=True)
            for i in range(max(1, workers))
        ]
        self._lock = threading.Lock()
        self._outstanding = 0
        self._attempts: dict[str, int] = {}
        self._timers: dict[str, threading.Timer] = {}
        self._closed = False
        self.failures = 0
        """Tries that failed since start (each is retried until its limit)."""

    def start(self) -> None:
        """Start the threads and queue every signed submission that still lacks its packet.

        A packet the kiosk gave up on waits for staff to ask again (`retry`).
        """
        for thread in self._threads:
            thread.start()
        for submission in self.store.pending_packets(self.kind):
            events = self.store.events(
                submission.checkin_id, kinds=(PACKET_GAVE_UP, PACKET_RETRY, "packet_generated")
            )
            if packet_failure(events) is None:
                self.enqueue(submission.token)

    def enqueue(self, token: str) -> None:
        """Render the packet of this stored submission soon."""
        with self._lock:
            self._outstanding += 1
        self._queue.put(token)

    def retry(self, token: str) -> None:
        """Try this packet again now, with all its tries (staff asked, or the disk was freed)."""
        with self._lock:
            timer = self._timers.pop(token, None)
            self._attempts.pop(token, None)
            if timer is not None:
                timer.cancel()
                self._outstanding -= 1
        self.enqueue(token)

    def attempts(self, token: str) -> int:
        """Failed tries of this packet since it was (re)queued."""
        with self._lock:
            return self._attempts.get(token, 0)

    def idle(self) -> bool:
        """True when nothing is queued, rendering or waiting to be tried again."""
        with self._lock:
            return self._outstanding == 0

    def wait_idle(self, timeout: float) -> bool:
        """Wait until `idle` or ``timeout`` seconds; returns whether it is idle."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.idle():
                return True
            time.sleep(0.02)
        return self.idle()

    def close(self) -> None:
        """Finish the packet being rendered, then stop (queued ones are redone at next start)."""
        with self._lock:
            self._closed = True
            for timer in self._timers.values():
                timer.cancel()
                self._outstanding -= 1
            self._timers.clear()
        while True:
            try:
                self._queue.get_nowait()
            except queue.Empty:
                break
            with self._lock:
                self._outstanding -= 1
        for _ in self._threads:
            self._queue.put(None)
        for thread in self._threads:
            if thread.is_alive():
                thread.join(timeout=RENDER_TIMEOUT)
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)

    # -- the worker threads --------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            token = self._queue.get()
            if token is None:
                return
            try:
                self._make(token)
            except Exception as exc:  # never let a packet thread die
                log.error("packet queue error (%s); trying again later", type(exc).__name__)
                try:
                    self._schedule(token, self.retry_policy.max_wait)
                except Exception:  # not even a timer: the next start queues it again
                    log.error("packet not rescheduled; it is tried again at the next start")
            finally:
                with self._lock:
                    self._outstanding -= 1

    def _render(self, record_json: bytes) -> bytes:
        pool = self.pool
        if pool is None:
            return self.render(record_json)
        try:
            return pool.submit(self.render, record_json).result(timeout=RENDER_TIMEOUT)
        except BrokenProcessPool:
            with self._lock:
                if self.pool is pool and not self._closed:  # one thread replaces it
                    self.pool = process_pool(self.workers)
            pool.shutdown(wait=False, cancel_futures=True)
            raise

    def _make(self, token: str) -> None:
        checkin_id: str | None = None
        try:
            submission = self.store.submission(token)
            if submission is None or self.store.packet(submission.checkin_id) is not None:
                self._done(token)
                return
            checkin_id = submission.checkin_id
            record_json = json.dumps(submission.payload, ensure_ascii=False).encode("utf-8")
            pdf = self._render(record_json)
            self.store.add_packet(checkin_id, token, pdf)
        except ConflictError:
            self._done(token)  # made meanwhile by another thread
            return
        except Exception as exc:  # the record is safe; try again later, never lose it
            self._failed(token, checkin_id, classify(exc))
            return
        self._done(token)
        log.info("packet stored")

    def _failed(self, token: str, checkin_id: str | None, failure: RenderFailure) -> None:
        policy = self.retry_policy
        with self._lock:
            self.failures += 1
            attempt = self._attempts.get(token, 0) + 1
            self._attempts[token] = attempt
        limit = policy.limit(failure.transient)
        detail = {"attempt": attempt, "of": limit, "error": failure.error, "reason": failure.reason}
        if attempt < limit:
            wait = policy.wait(attempt)
            self._schedule(token, wait)  # first: a failure to record it must not stop the retry
            log.error(
                "packet rendering failed (%s, try %s of %s); trying again in %.0f s",
                failure.error,
                attempt,
                limit,
                wait,
            )
            self._record(checkin_id, PACKET_FAILED, {**detail, "retry_in": round(wait, 3)})
            return
        log.error("packet rendering failed (%s) %s times; staff may retry", failure.error, limit)
        gave_up = {"attempts": attempt, "error": failure.error, "reason": failure.reason}
        if not self._record(checkin_id, PACKET_GAVE_UP, gave_up):
            self._schedule(token, policy.max_wait)  # staff could not be told: keep trying
            return
        self._done(token)

    def _record(self, checkin_id: str | None, kind: str, detail: dict[str, object]) -> bool:
        """Append an event; False (logged) when even that fails, e.g. on a full disk."""
        if checkin_id is None:
            return False
        try:
            self.store.add_event(checkin_id, kind, detail)
        except Exception as exc:
            log.error("could not record %s (%s)", kind, type(exc).__name__)
            return False
        return True

    def _schedule(self, token: str, delay: float) -> None:
        with self._lock:
            if self._closed or token in self._timers:
                return
            self._outstanding += 1
            timer = threading.Timer(delay, self._due, args=(token,))
            timer.daemon = True
            self._timers[token] = timer
        try:
            timer.start()
        except BaseException:
            with self._lock:
                self._timers.pop(token, None)
                self._outstanding -= 1
            raise

    def _due(self, token: str) -> None:
        with self._lock:
            if self._timers.pop(token, None) is None:  # cancelled meanwhile
                return
        self._queue.put(token)  # counted as outstanding when it was scheduled

    def _done(self, token: str) -> None:
        with self._lock:
            self._attempts.pop(token, None)
