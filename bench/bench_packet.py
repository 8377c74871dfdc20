"""Benchmark of signed consent packets: packet vs raw WeasyPrint, font subsetting, memory, batches.

Run: ``python bench/bench_packet.py`` (about two minutes on two cores). Prints, in one run:
the warm median time of a full packet render; the warm median of raw WeasyPrint rendering the
identical HTML with the same options, and their ratio (goal ≤ 1.10); the time with HarfBuzz
subsetting and with the fontTools fallback; peak RSS of a process rendering packets (goal
≤ 200 MiB); and packets per second for a batch of 50 on one worker and on all cores (goal ≥ 1.7x
on two cores).
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable


def sample_record(number: int = 0):  # type: ignore[no-untyped-def]
    from tpi_forms.pdf.packet import build_record
    from tpi_forms.record.model import AuditEvent, Signature
    from tpi_forms.screening.procedure import PlannedProcedure
    from tpi_forms.screening.scenarios import example_answers, example_signature_png

    now = dt.datetime(2026, 3, 2, 15, 30, tzinfo=dt.UTC)
    answers = example_answers("review")
    answers["patient_name"] = f"Alex Example {number}"
    signers = [
        Signature(
            "patient",
            str(answers["patient_name"]),
            now,
            "I agree to the shot.",
            image_png=example_signature_png(),
        ),
        Signature("practitioner", "Alex Sample, MD", now, "I explained the risks.", method="typed"),
    ]
    audit = [AuditEvent(now - dt.timedelta(minutes=5), "form_opened"), AuditEvent(now, "signed")]
    return build_record(
        answers,
        signers,
        procedure=PlannedProcedure(corticosteroid=True),
        audit=audit,
        device_id="bench",
        created_at=now,
    )


def median_time(fn: Callable[[], object], repeat: int, warmup: int = 2) -> float:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def packet_vs_raw(repeat: int) -> tuple[float, float]:
    """Warm medians of render_packet and of raw WeasyPrint on the identical HTML and options."""
    import weasyprint

    from tpi_forms.pdf import render as pdfmod
    from tpi_forms.pdf.packet import RECORD_ATTACHMENT, PacketRenderer
    from tpi_forms.record.model import record_hash

    renderer = PacketRenderer()
    record = sample_record()
    generated = dt.datetime(2026, 3, 2, 15, 40, tzinfo=dt.UTC)
    final = renderer.finalise(record, generated)
    digest = record_hash(final)
    html = renderer.html(final, digest)
    data = final.to_json()

    def packet() -> bytes:
        return renderer.render(record, generated_at=generated)

    def raw() -> bytes:
        fetcher = pdfmod.AssetFetcher()
        base = pdfmod.static_base_url()
        options = {"pdf_variant": pdfmod.DEFAULT_VARIANT, "output_intent": pdfmod.OUTPUT_INTENT}
        css = [weasyprint.CSS(url=base + s, url_fetcher=fetcher) for s in renderer.stylesheets]
        document = weasyprint.HTML(string=html, base_url=base, url_fetcher=fetcher).render(
            stylesheets=css, color_profiles=pdfmod._color_profiles(), **options
        )
        attachment = weasyprint.Attachment(
            file_obj=io.BytesIO(data),
            name=RECORD_ATTACHMENT,
            relationship="Data",
            url_fetcher=fetcher,
        )
        out: bytes = document.write_pdf(attachments=[attachment], **options)
        return out

    # Interleave so that load changes on the machine hit both alike.
    packet_times: list[float] = []
    raw_times: list[float] = []
    for fn in (packet, raw, packet, raw):
        fn()
    for _ in range(repeat):
        for fn, times in ((packet, packet_times), (raw, raw_times)):
            start = time.perf_counter()
            fn()
            times.append(time.perf_counter() - start)
    return statistics.median(packet_times), statistics.median(raw_times)


def child(mode: str, repeat: int) -> None:
    """Run in a subprocess: ``fonttools`` forces WeasyPrint's fallback, ``rss`` measures memory."""
    import logging
    import resource

    if mode == "fonttools":
        from weasyprint.pdf import fonts

        fonts.harfbuzz_subset = None  # the check WeasyPrint makes before subsetting
        logging.getLogger("weasyprint").setLevel(logging.ERROR)  # its per-font fallback warning
    from tpi_forms.pdf.packet import PacketRenderer
    from tpi_forms.pdf.render import subsetting_path

    renderer = PacketRenderer()
    record = sample_record()
    seconds = median_time(lambda: renderer.render(record), repeat)
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    path = "fonttools" if mode == "fonttools" else subsetting_path()
    print(json.dumps({"seconds": seconds, "peak_mib": peak_kib / 1024, "path": path}))


def run_child(mode: str, repeat: int) -> dict[str, float | str]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", mode, "--repeat", str(repeat)],
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, float | str] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def batch(workers: int, count: int) -> float:
    from tpi_forms.pdf.batch import render_packets

    records = [sample_record(i) for i in range(count)]
    start = time.perf_counter()
    done = render_packets(records, workers=workers, progress=None)
    seconds = time.perf_counter() - start
    assert len(done) == count
    return count / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--repeat", type=int, default=7, help="timed renders per median (default 7)"
    )
    parser.add_argument("--batch", type=int, default=50, help="packets per batch (default 50)")
    parser.add_argument("--child", choices=("harfbuzz", "fonttools", "rss"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.repeat)
        return

    from tpi_forms.pdf.render import subsetting_path

    cores = os.cpu_count() or 1
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"tpi_forms packet benchmark: {cores} core(s), load average {load:.1f} at start")
    print(f"font subsetting here: {subsetting_path()}")
    packet, raw = packet_vs_raw(args.repeat)
    print(f"full packet render (warm median):       {packet * 1000:7.0f} ms")
    print(f"raw WeasyPrint, identical HTML+options: {raw * 1000:7.0f} ms")
    print(f"ratio packet / raw:                     {packet / raw:7.2f}    (goal <= 1.10)")
    fast = run_child("harfbuzz", max(3, args.repeat // 2))
    slow = run_child("fonttools", max(3, args.repeat // 2))
    print(f"with HarfBuzz subsetting:               {float(fast['seconds']) * 1000:7.0f} ms")
    print(f"with the fontTools fallback:            {float(slow['seconds']) * 1000:7.0f} ms")
    print(
        f"peak RSS of a rendering process:        {float(fast['peak_mib']):7.0f} MiB (goal <= 200)"
    )
    one = batch(1, args.batch)
    print(f"batch of {args.batch}, 1 worker:                {one:7.2f} packets/s")
    if cores > 1:
        many = batch(cores, args.batch)
        ratio = f"{many / one:.2f}x; goal >= 1.7x on 2 cores"
        print(
            f"batch of {args.batch}, {cores} workers:               {many:7.2f} packets/s ({ratio})"
        )
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"load average at the end: {load:.1f} (above {cores}: other work shared the cores)")


if __name__ == "__main__":
    main()
