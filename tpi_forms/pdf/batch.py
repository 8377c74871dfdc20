"""Render many packets at once over a process pool: signed packets and pre-filled blank ones.

`iter_packets` takes consent records and `iter_blank_packets` takes `BlankPacketRequest` items
(planned procedure, clinic, language, and optionally the patient's name and date of birth); both
yield ``(index, pdf_bytes)`` as each packet is ready, so a caller can write each file at once.
`render_packets` and `render_blank_packets` return the PDFs in input order. All four call
``progress(done, total)`` in the calling process after each packet. Each worker process builds
one `PacketRenderer` from the batch's settings and renders every packet it is given with it. One
failure stops the batch: the packets not yet started are cancelled and the error is raised.

>>> from tpi_forms.pdf.batch import BlankPacketRequest, render_blank_packets  # doctest: +SKIP
>>> pdfs = render_blank_packets([BlankPacketRequest(locale="es")], workers=1)  # doctest: +SKIP
>>> for index, pdf in iter_blank_packets(requests):  # doctest: +SKIP
...     Path(f"packet-{index}.pdf").write_bytes(pdf)
"""

from __future__ import annotations

import gc
import multiprocessing
import os
from collections.abc import Callable, Generator, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import TypeVar

from ..definitions.clinic import Clinic
from ..record.model import ConsentRecord
from ..screening.procedure import PlannedProcedure
from .packet import BlankPatient, PacketRenderer, PacketSettings

Progress = Callable[[int, int], None]
"""``progress(done, total)``, called after each packet."""

_Payload = TypeVar("_Payload")
_Job = Callable[[PacketRenderer, _Payload], bytes]

_WORKER_RENDERER: PacketRenderer | None = None


@dataclass(frozen=True)
class BlankPacketRequest:
    """One blank packet of a batch: for whom, for which plan, at which clinic, in which language."""

    procedure: PlannedProcedure = field(default_factory=PlannedProcedure)
    """The planned procedure whose consent the packet prints."""
    clinic: Clinic | None = None
    """The facility; None: the fictitious sample clinic."""
    locale: str = "en"
    """Language of the packet."""
    patient: BlankPatient | None = None
    """Name and date of birth to print; None: lines to write them on."""


def iter_packets(
    records: Iterable[ConsentRecord],
    *,
    workers: int | None = None,
    progress: Progress | None = None,
    settings: PacketSettings | None = None,
) -> Generator[tuple[int, bytes], None, None]:
    """Render signed packets over ``workers`` processes (default: all cores), yielding
    ``(index, pdf)`` as each is ready (not necessarily in input order).

    With one worker (or one record) the packets render in this process, in order.
    """
    payloads = [r.to_json() for r in records]
    return _iterate(_render_record, payloads, workers=workers, progress=progress, settings=settings)


def iter_blank_packets(
    items: Iterable[BlankPacketRequest],
    *,
    workers: int | None = None,
    progress: Progress | None = None,
    settings: PacketSettings | None = None,
) -> Generator[tuple[int, bytes], None, None]:
    """Render blank packets over ``workers`` processes (default: all cores), yielding
    ``(index, pdf)`` as each is ready (not necessarily in input order).

    With one worker (or one item) the packets render in this process, in order.
    """
    payloads = list(items)
    return _iterate(_render_blank, payloads, workers=workers, progress=progress, settings=settings)


def render_packets(
    records: Iterable[ConsentRecord],
    *,
    workers: int | None = None,
    progress: Progress | None = None,
    settings: PacketSettings | None = None,
) -> list[bytes]:
    """Render many signed packets, in input order, over ``workers`` processes (default: all cores).

    With one worker (or one record) the packets render in this process.
    """
    records = list(records)
    found = iter_packets(records, workers=workers, progress=progress, settings=settings)
    return _in_order(found, len(records))


def render_blank_packets(
    items: Iterable[BlankPacketRequest],
    *,
    workers: int | None = None,
    progress: Progress | None = None,
    settings: PacketSettings | None = None,
) -> list[bytes]:
    """Render many blank packets, in input order, over ``workers`` processes (default: all cores).

    With one worker (or one item) the packets render in this process.
    """
    items = list(items)
    found = iter_blank_packets(items, workers=workers, progress=progress, settings=settings)
    return _in_order(found, len(items))


def _in_order(found: Iterable[tuple[int, bytes]], total: int) -> list[bytes]:
    results: list[bytes | None] = [None] * total
    for index, pdf in found:
        results[index] = pdf
    return [r for r in results if r is not None]


def _render_record(renderer: PacketRenderer, record_json: bytes) -> bytes:
    return renderer.render(ConsentRecord.from_json(record_json))


def _render_blank(renderer: PacketRenderer, item: BlankPacketRequest) -> bytes:
    return renderer.render_blank(item.procedure, item.clinic, item.locale, patient=item.patient)


RENDER_GC_THRESHOLDS = (20_000, 20, 20)
"""Garbage-collector thresholds of a process that only renders packets (Python's: 700, 10, 10)."""


def settle_render_worker() -> None:
    """Set the garbage collector of a process that only renders packets (a pool worker).

    A render makes hundreds of thousands of short-lived objects and few cycles; what lives long
    (modules, the renderer, its laid-out consent pages) is frozen out of every collection, and
    collections are rarer. ``bench/bench_packet.py`` measures the gain (its "worker" figures);
    a clinic's own process keeps Python's settings: this is called only in our workers.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(*RENDER_GC_THRESHOLDS)


def _init_worker(settings: PacketSettings) -> None:
    global _WORKER_RENDERER
    _WORKER_RENDERER = PacketRenderer(settings)
    settle_render_worker()


def _in_worker(job: _Job[_Payload], payload: _Payload) -> bytes:
    assert _WORKER_RENDERER is not None, "the pool initialiser builds the renderer"
    return job(_WORKER_RENDERER, payload)


def _pool_context() -> multiprocessing.context.BaseContext:
    if "forkserver" in multiprocessing.get_all_start_methods():
        # Workers fork from a server that imported WeasyPrint once; never from this process,
        # whose threads and open libraries a plain fork would copy.
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload([__name__])
        return context
    return multiprocessing.get_context("spawn")


def _iterate(
    job: _Job[_Payload],
    payloads: Sequence[_Payload],
    *,
    workers: int | None,
    progress: Progress | None,
    settings: PacketSettings | None,
) -> Generator[tuple[int, bytes], None, None]:
    """``(index, job(renderer, payload))`` for every payload, in this process or over a pool.

    Stopping early (closing the generator) or a failure cancels what has not started yet.
    """
    total = len(payloads)
    workers = workers or os.cpu_count() or 1
    settings = settings or PacketSettings()
    if workers == 1 or total <= 1:
        renderer = PacketRenderer(settings)
        for i, payload in enumerate(payloads):
            pdf = job(renderer, payload)
            if progress:
                progress(i + 1, total)
            yield i, pdf
        return
    with ProcessPoolExecutor(
        max_workers=min(workers, total),
        mp_context=_pool_context(),
        initializer=_init_worker,
        initargs=(settings,),
    ) as pool:
        futures = {pool.submit(_in_worker, job, p): i for i, p in enumerate(payloads)}
        try:
            for done, future in enumerate(as_completed(futures), start=1):
                pdf = future.result()
                if progress:
                    progress(done, total)
                yield futures[future], pdf
        except BaseException:  # a failure, or the caller stopped early (GeneratorExit)
            pool.shutdown(wait=True, cancel_futures=True)
            raise
