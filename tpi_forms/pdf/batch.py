"""Render many packets at once over a process pool: signed packets and pre-filled blank ones.

`render_packets` takes consent records; `render_blank_packets` takes `BlankPacketRequest` items
(planned procedure, clinic, language, and optionally the patient's name and date of birth).
Both return the PDFs in input order and call ``progress(done, total)`` in the calling process
after each packet. Each worker process builds one `PacketRenderer` from the batch's settings
and renders every packet it is given with it.

>>> from tpi_forms.pdf.batch import BlankPacketRequest, render_blank_packets  # doctest: +SKIP
>>> pdfs = render_blank_packets([BlankPacketRequest(locale="es")], workers=1)  # doctest: +SKIP
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterable, Sequence
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
    payloads = [r.to_json() for r in records]
    return _run(_render_record, payloads, workers=workers, progress=progress, settings=settings)


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
    payloads = list(items)
    return _run(_render_blank, payloads, workers=workers, progress=progress, settings=settings)


def _render_record(renderer: PacketRenderer, record_json: bytes) -> bytes:
    return renderer.render(ConsentRecord.from_json(record_json))


def _render_blank(renderer: PacketRenderer, item: BlankPacketRequest) -> bytes:
    return renderer.render_blank(item.procedure, item.clinic, item.locale, patient=item.patient)


def _init_worker(settings: PacketSettings) -> None:
    global _WORKER_RENDERER
    _WORKER_RENDERER = PacketRenderer(settings)


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


def _run(
    job: _Job[_Payload],
    payloads: Sequence[_Payload],
    *,
    workers: int | None,
    progress: Progress | None,
    settings: PacketSettings | None,
) -> list[bytes]:
    """``job(renderer, payload)`` for every payload, in order, in this process or over a pool."""
    total = len(payloads)
    workers = workers or os.cpu_count() or 1
    settings = settings or PacketSettings()
    results: list[bytes | None] = [None] * total
    if workers == 1 or total <= 1:
        renderer = PacketRenderer(settings)
        for i, payload in enumerate(payloads):
            results[i] = job(renderer, payload)
            if progress:
                progress(i + 1, total)
        return [r for r in results if r is not None]
    with ProcessPoolExecutor(
        max_workers=min(workers, total),
        mp_context=_pool_context(),
        initializer=_init_worker,
        initargs=(settings,),
    ) as pool:
        futures = {pool.submit(_in_worker, job, p): i for i, p in enumerate(payloads)}
        try:
            for done, future in enumerate(as_completed(futures), start=1):
                results[futures[future]] = future.result()
                if progress:
                    progress(done, total)
        except BaseException:
            pool.shutdown(wait=True, cancel_futures=True)  # one failure stops the batch
            raise
    return [r for r in results if r is not None]
