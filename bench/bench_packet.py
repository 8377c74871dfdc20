"""Benchmark of signed consent packets: packet vs raw WeasyPrint vs xhtml2pdf, cold, batch, scale.

Run: ``python bench/bench_packet.py`` (about three minutes on two cores; ``--quick`` for less).
Every figure is CPU time of this process (or of the child processes it names), measured with
the contenders interleaved round by round so that whatever else the machine does hits them
alike; each prints its minimum and median. The load average is printed at the start and the
end: above the number of cores, other work shared them and the figures are worth less.

* **warm**: a signed packet (`PacketRenderer.render`, its consent pages laid out once), the
  same packet laid out whole (``consent_cache_entries=0``), raw WeasyPrint on the packet's full
  HTML with the same stylesheets, options and attachment (stylesheets parsed per render, as a
  plain WeasyPrint call does), and xhtml2pdf on the same HTML with the same CSS inlined (the
  ``bench`` extra). Goal: packet ≤ 0.55 × raw (moonshot ≤ 0.40).
* **same output**: the packet with cached consent pages against the whole layout, byte for byte,
  and `verify_packet` on it.
* **cold**: a fresh ``python`` that imports tpi_forms and renders one packet (CPU of the child).
* **batch**: 16 packets over 1 and 2 worker processes: packets per second of wall time (the
  pool's point) and CPU per packet over all processes (pool start-up included: the fork
  server's imports), with the time to the first packet. Goal: 2 workers / 1 worker ≥ 1.7 ×
  on two cores.
* **scale**: pages and CPU time for 2, 5 and 20 signers and for free-text answers 100 × longer.
* **memory**: peak RSS of a render worker whose consent page cache is full (8 consents).
  Goal ≤ 200 MiB.
* **processes**: warm renders in fresh child processes, interleaved: the packet with Python's
  garbage collector, the packet in a render worker (`settle_render_worker`: what lives long
  frozen, fewer collections; batch workers and the kiosk), raw WeasyPrint.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import io
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tpi_forms.record.model import ConsentRecord

GENERATED = dt.datetime(2026, 3, 2, 15, 40, tzinfo=dt.UTC)


def sample_record(
    number: int = 0,
    *,
    signers: int = 2,
    answer_scale: int = 1,
    locale: str = "en",
    plan: Any = None,
) -> ConsentRecord:
    """A review-scenario record: patient and practitioner (or more signers), a short audit."""
    from tpi_forms.pdf.packet import build_record
    from tpi_forms.record.model import AuditEvent, Signature
    from tpi_forms.screening.procedure import PlannedProcedure
    from tpi_forms.screening.scenarios import example_answers, example_signature_png

    now = dt.datetime(2026, 3, 2, 15, 30, tzinfo=dt.UTC)
    answers = example_answers("review")
    answers["patient_name"] = f"Alex Example {number}"
    if answer_scale > 1:  # every free-text answer that many times longer, within its limit
        from tpi_forms.definitions.questionnaire import load_questionnaire

        questions = load_questionnaire().questions
        for key, value in answers.items():
            if isinstance(value, str) and " " in value and key != "patient_name":
                limit = questions[key].max_length
                answers[key] = " ".join([value] * answer_scale)[:limit].strip()
    people = [
        Signature(
            "patient",
            str(answers["patient_name"]),
            now,
            "I agree to the shot.",
            image_png=example_signature_png(),
        ),
        Signature("practitioner", "Alex Sample, MD", now, "I explained the risks.", method="typed"),
    ]
    people += [
        Signature("witness", f"Witness Number {n}", now, "I saw the patient sign.", method="typed")
        for n in range(signers - 2)
    ]
    audit = [AuditEvent(now - dt.timedelta(minutes=5), "form_opened"), AuditEvent(now, "signed")]
    return build_record(
        answers,
        people,
        procedure=plan or PlannedProcedure(corticosteroid=True),
        audit=audit,
        device_id="bench",
        created_at=now,
        locale=locale,
    )


@dataclasses.dataclass
class Timing:
    """CPU seconds of each run of one contender."""

    name: str
    seconds: list[float] = dataclasses.field(default_factory=list)

    @property
    def min(self) -> float:
        return min(self.seconds)

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    def line(self, baseline: Timing | None = None) -> str:
        low, mid = self.min * 1000, self.median * 1000
        text = f"  {self.name:<40} min {low:5.0f} ms  median {mid:5.0f} ms"
        if baseline is not None:
            ratio, least = self.median / baseline.median, self.min / baseline.min
            text += f"  {ratio:4.2f} x raw (min {least:4.2f})"
        return text


def interleave(contenders: Sequence[tuple[str, Callable[[], object]]], rounds: int) -> list[Timing]:
    """Run each contender once per round, in turn; two warm-up rounds first."""
    timings = [Timing(name) for name, _ in contenders]
    for _ in range(2):
        for _, fn in contenders:
            fn()
    for _ in range(rounds):
        for timing, (_, fn) in zip(timings, contenders, strict=True):
            start = time.process_time()
            fn()
            timing.seconds.append(time.process_time() - start)
    return timings


def warm(rounds: int) -> dict[str, Timing]:
    from tpi_forms.pdf.packet import PacketRenderer, PacketSettings

    renderer = PacketRenderer()
    whole = PacketRenderer(PacketSettings(consent_cache_entries=0))
    record = sample_record()
    html, _ = packet_html(renderer, record)
    raw = raw_job(renderer, record)

    contenders: list[tuple[str, Callable[[], object]]] = [
        ("packet (consent pages laid out once)", lambda: renderer.render(record)),
        ("packet laid out whole", lambda: whole.render(record)),
        ("raw WeasyPrint, same HTML and options", raw),
    ]
    try:
        from xhtml2pdf import pisa
    except ImportError:
        print("  (xhtml2pdf is not installed: pip install -e '.[bench]')")
    else:
        import logging

        from tpi_forms._resources import static_folder

        logging.getLogger("xhtml2pdf").setLevel(logging.CRITICAL)  # every CSS property it skips

        sheets = "".join((static_folder() / s).read_text("utf-8") for s in renderer.stylesheets)
        inlined = html.replace("</head>", f"<style>{sheets}</style></head>", 1)

        def xhtml2pdf() -> bytes:
            out = io.BytesIO()
            pisa.CreatePDF(inlined, dest=out)
            return out.getvalue()

        contenders.append(("xhtml2pdf, same HTML and CSS", xhtml2pdf))
    return {t.name: t for t in interleave(contenders, rounds)}


def same_output() -> tuple[bool, bool]:
    from tpi_forms.pdf.packet import PacketRenderer, PacketSettings
    from tpi_forms.verify.packet import verify_packet

    record = sample_record(7)
    cached = PacketRenderer()
    cached.render(sample_record(8), generated_at=GENERATED)  # the consent from the cache next
    pdf = cached.render(record, generated_at=GENERATED)
    whole = PacketRenderer(PacketSettings(consent_cache_entries=0))
    return pdf == whole.render(record, generated_at=GENERATED), verify_packet(pdf).ok


def child_cpu(code: str, runs: int) -> Timing:
    """CPU time (user + system) of ``runs`` fresh processes running ``code``."""
    timing = Timing("")
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        timing.seconds.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return timing


COLD = (
    "import sys; sys.path.insert(0, {bench!r}); import bench_packet;"
    " from tpi_forms.pdf.packet import render_packet; render_packet(bench_packet.sample_record())"
)


def descendants_cpu() -> float:
    """CPU seconds (user + system) so far of every living descendant of this process (/proc).

    Pool workers fork from a fork server, so they are grandchildren that this process never
    waits for: ``RUSAGE_CHILDREN`` does not count them, /proc does while they live.
    """
    parents: dict[int, list[int]] = {}
    cpu: dict[int, float] = {}
    ticks = os.sysconf("SC_CLK_TCK")
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue  # ended meanwhile
        pid = int(entry)
        parents.setdefault(int(fields[1]), []).append(pid)
        cpu[pid] = (int(fields[11]) + int(fields[12])) / ticks
    total, todo = 0.0, list(parents.get(os.getpid(), []))
    while todo:
        pid = todo.pop()
        total += cpu.get(pid, 0.0)
        todo += parents.get(pid, [])
    return total


def batch(workers: int, count: int) -> tuple[float, float, float]:
    """Packets per wall second, CPU seconds per packet (all processes), seconds to the first."""
    from tpi_forms.pdf.batch import iter_packets

    records = [sample_record(i) for i in range(count)]
    before = time.process_time() + descendants_cpu()
    start = time.perf_counter()
    first = 0.0
    done = 0
    cpu = 0.0
    for _ in iter_packets(records, workers=workers):
        done += 1
        if done == 1:
            first = time.perf_counter() - start
        if done == count:  # the workers still live: count their CPU now
            cpu = time.process_time() + descendants_cpu() - before
    wall = time.perf_counter() - start
    assert done == count
    return count / wall, cpu / count, first


def scale(rounds: int) -> list[tuple[str, int, Timing]]:
    import pypdf

    from tpi_forms.pdf.packet import PacketRenderer

    renderer = PacketRenderer()
    cases = [
        ("2 signers", sample_record(signers=2)),
        ("5 signers", sample_record(signers=5)),
        ("20 signers", sample_record(signers=20)),
        ("free-text answers 100 x longer", sample_record(answer_scale=100)),
    ]

    def job(record: ConsentRecord) -> Callable[[], object]:
        return lambda: renderer.render(record)

    timings = interleave([(name, job(record)) for name, record in cases], rounds)
    rows = []
    for (name, record), timing in zip(cases, timings, strict=True):
        pages = len(pypdf.PdfReader(io.BytesIO(renderer.render(record))).pages)
        rows.append((name, pages, timing))
    return rows


def packet_html(renderer: Any, record: ConsentRecord) -> tuple[str, bytes]:
    """The full HTML of ``record``'s packet and the record as embedded (JSON)."""
    from tpi_forms.record.model import ConsentRecord, record_hash

    final = renderer.finalise(record, GENERATED)
    data = final.to_json()
    final = ConsentRecord.from_json(data)
    return renderer.html(final, record_hash(final)), data


def raw_job(renderer: Any, record: ConsentRecord) -> Callable[[], bytes]:
    """Raw WeasyPrint on ``record``'s full packet HTML, as a plain WeasyPrint call makes it."""
    import weasyprint

    from tpi_forms.pdf import render as pdfmod
    from tpi_forms.pdf.packet import RECORD_ATTACHMENT

    html, data = packet_html(renderer, record)
    base = pdfmod.static_base_url()
    options = {"pdf_variant": pdfmod.DEFAULT_VARIANT, "output_intent": pdfmod.OUTPUT_INTENT}

    def raw() -> bytes:
        fetcher = pdfmod.AssetFetcher()
        css = [weasyprint.CSS(url=base + s, url_fetcher=fetcher) for s in renderer.stylesheets]
        document = weasyprint.HTML(string=html, base_url=base, url_fetcher=fetcher).render(
            stylesheets=css, color_profiles=pdfmod._color_profiles(), **options
        )
        attachment = weasyprint.Attachment(
            file_obj=io.BytesIO(data), name=RECORD_ATTACHMENT, relationship="Data"
        )
        out: bytes = document.write_pdf(attachments=[attachment], **options)
        return out

    return raw


def child(mode: str, rounds: int) -> None:
    """In a child process: ``memory`` fills the cache of a render worker; ``packet`` (Python's
    garbage collector), ``worker`` (a render worker's, `settle_render_worker`) and ``raw`` (raw
    WeasyPrint) print the CPU time of each of ``rounds`` warm renders."""
    from tpi_forms.pdf.batch import settle_render_worker
    from tpi_forms.pdf.packet import PacketRenderer
    from tpi_forms.screening.procedure import PlannedProcedure

    renderer = PacketRenderer()
    if mode == "memory":
        settle_render_worker()
        plans = [
            PlannedProcedure(sites=sites, corticosteroid=steroid)
            for sites in (("neck",), ("upper_back",), ("neck", "upper_back"), ("lower_back",))
            for steroid in (True, False)
        ]
        for n, plan in enumerate(plans):
            renderer.render(sample_record(n, plan=plan))
        for n in range(20):
            renderer.render(sample_record(n, plan=plans[n % len(plans)]))
        cache = renderer.consent_cache
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps({"peak_mib": peak, "entries": cache.entries, "pages": cache.pages}))
        return
    records = [sample_record(n) for n in range(rounds + 2)]
    if mode == "raw":
        jobs = [raw_job(renderer, record) for record in records]
    else:
        jobs = [(lambda r=record: renderer.render(r)) for record in records]  # type: ignore[misc]
    for job in jobs[:2]:
        job()
    if mode == "worker":
        settle_render_worker()
    seconds = []
    for job in jobs[2:]:
        start = time.process_time()
        job()
        seconds.append(time.process_time() - start)
    print(json.dumps({"seconds": seconds}))


def run_child(mode: str, rounds: int) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", mode, "--rounds", str(rounds)],
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rounds", type=int, default=9, help="timed runs per contender (9)")
    parser.add_argument("--batch", type=int, default=16, help="packets per batch (16)")
    parser.add_argument("--quick", action="store_true", help="fewer rounds, no batch or gc")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.rounds)
        return
    rounds = 3 if args.quick else args.rounds

    import weasyprint

    from tpi_forms.pdf.render import subsetting_path

    cores = os.cpu_count() or 1
    print(f"tpi_forms packet benchmark: {cores} core(s), load average {os.getloadavg()[0]:.2f}")
    print(f"WeasyPrint {weasyprint.__version__}, font subsetting: {subsetting_path()}")

    print(f"\nwarm, CPU time per packet ({rounds} rounds, interleaved):")
    timings = warm(rounds)
    raw = timings["raw WeasyPrint, same HTML and options"]
    for timing in timings.values():
        print(timing.line(raw))
    packet = timings["packet (consent pages laid out once)"]
    ratio = packet.median / raw.median
    verdict = "met" if ratio <= 0.55 else "NOT met"
    print(f"  goal packet <= 0.55 x raw: {verdict} ({ratio:.2f}; moonshot <= 0.40)")

    identical, verified = same_output()
    print(
        f"\nsame output: cached consent pages == whole layout byte for byte: {identical};"
        f" verify_packet ok: {verified}"
    )

    bench_dir = os.path.dirname(os.path.abspath(__file__))
    cold = child_cpu(COLD.format(bench=bench_dir), 3)
    print(
        f"\ncold process, import and one packet: min {cold.min:.2f} s, median {cold.median:.2f} s"
        " CPU"
    )

    if not args.quick:
        print(f"\nbatch of {args.batch} packets:")
        results = {}
        for workers in (1, 2):
            rate, cpu, first = batch(workers, args.batch)
            results[workers] = rate
            print(
                f"  {workers} worker(s): {rate:5.2f} packets/s, {cpu * 1000:5.0f} ms CPU a packet,"
                f" first packet after {first:4.2f} s"
            )
        gain = results[2] / results[1]
        print(f"  2 workers / 1 worker: {gain:.2f} x (goal >= 1.7 x on two cores)")

    print("\nscale, CPU time per packet:")
    for name, pages, timing in scale(max(3, rounds // 2)):
        print(f"  {name:<32} {pages:3d} pages   median {timing.median * 1000:6.0f} ms")

    memory = run_child("memory", 1)
    print(
        f"\nmemory: peak RSS {memory['peak_mib']:.0f} MiB with the cache full"
        f" ({memory['entries']} consents, {memory['pages']} pages); goal <= 200 MiB"
    )

    print("\nin separate processes, warm, CPU time per render (interleaved):")
    modes = {
        "packet": "packet, Python's garbage collector",
        "worker": "packet in a render worker (batch, kiosk)",
        "raw": "raw WeasyPrint, same HTML and options",
    }
    processes = {mode: Timing(name) for mode, name in modes.items()}
    for _ in range(1 if args.quick else 3):
        for mode, timing in processes.items():
            timing.seconds += run_child(mode, rounds)["seconds"]
    for timing in processes.values():
        print(timing.line(processes["raw"]))
    ratio = processes["worker"].median / processes["raw"].median
    verdict = "met" if ratio <= 0.55 else "NOT met"
    print(f"  goal render worker <= 0.55 x raw: {verdict} ({ratio:.2f}; moonshot <= 0.40)")
    print(f"\nload average at the end: {os.getloadavg()[0]:.2f} ({cores} cores)")


if __name__ == "__main__":
    main()
