"""Packet PDFs rendered in the background from signed records already committed to the store.

Signing commits the complete `ConsentRecord` first, so the patient is told "signed and saved"
only once nothing can be lost; the PDF is derived from that record. Rendering takes a second or
more per packet, so it runs here, off the request: in worker processes when configured (PDF
rendering is CPU-bound pure Python), else in this queue's threads. Records still without a
packet when the server starts (it stopped mid-render) are rendered again at start.
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import queue
import threading
import time
from concurrent.futures import Executor, ProcessPoolExecutor

from ..errors import ConflictError
from ..pdf.packet import render_packet
from ..record.model import ConsentRecord
from .store import KioskStore

log = logging.getLogger("tpi_forms.kiosk")

RENDER_TIMEOUT = 300
"""Seconds one packet may take in a worker process before it counts as failed."""
RETRY_SECONDS = 30
"""Wait before trying a failed packet again."""


def render_record_json(record_json: bytes) -> bytes:
    """The packet PDF of a record given as JSON (runs in a worker process)."""
    return render_packet(ConsentRecord.from_json(record_json))


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
    """

    def __init__(self, store: KioskStore, kind: str, workers: int = 0) -> None:
        self.store = store
        self.kind = kind
        self.pool = process_pool(workers)
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._threads = [
            threading.Thread(target=self._run, name=f"tpi-packets-{i}", daemon=True)
            for i in range(max(1, workers))
        ]
        self._lock = threading.Lock()
        self._outstanding = 0
        self.failures = 0
        """Packets that failed to render (each is retried)."""

    def start(self) -> None:
        """Start the threads and queue every signed submission that still lacks its packet."""
        for thread in self._threads:
            thread.start()
        for submission in self.store.pending_packets(self.kind):
            self.enqueue(submission.token)

    def enqueue(self, token: str) -> None:
        """Render the packet of this stored submission soon."""
        with self._lock:
            self._outstanding += 1
        self._queue.put(token)

    def idle(self) -> bool:
        """True when nothing is queued or rendering."""
        with self._lock:
            return self._outstanding == 0

    def wait_idle(self, timeout: float) -> bool:
        """Wait until `idle` or ``timeout`` seconds; returns whether it is idle."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.idle():
                return True
            time.sleep(0.05)
        return self.idle()

    def close(self) -> None:
        """Finish the packet being rendered, then stop (queued ones are redone at next start)."""
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

    def _render(self, record_json: bytes) -> bytes:
        if self.pool is None:
            return render_record_json(record_json)
        return self.pool.submit(render_record_json, record_json).result(timeout=RENDER_TIMEOUT)

    def _run(self) -> None:
        while True:
            token = self._queue.get()
            if token is None:
                return
            try:
                self._make(token)
            finally:
                with self._lock:
                    self._outstanding -= 1

    def _make(self, token: str) -> None:
        submission = self.store.submission(token)
        if submission is None or self.store.packet(submission.checkin_id) is not None:
            return
        record_json = json.dumps(submission.payload, ensure_ascii=False).encode("utf-8")
        try:
            pdf = self._render(record_json)
            self.store.add_packet(submission.checkin_id, token, pdf)
        except ConflictError:
            return  # made meanwhile by another thread
        except Exception as exc:  # the record is safe; try again later, never lose it
            self.failures += 1
            log.error("packet rendering failed (%s); retrying later", type(exc).__name__)
            self.store.add_event(
                submission.checkin_id, "packet_failed", {"error": type(exc).__name__}
            )
            timer = threading.Timer(RETRY_SECONDS, self.enqueue, args=(token,))
            timer.daemon = True
            timer.start()
            return
        log.info("packet stored")
