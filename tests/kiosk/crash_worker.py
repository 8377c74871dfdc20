"""Submit to a kiosk store in a loop, printing each acknowledged submission (for the kill test).

Run as ``python crash_worker.py DATA_DIR SEED``; prints ``ready`` once the store is open, then one
line ``TOKEN CHECKIN_ID PAYLOAD_SHA256 PACKET_SHA256`` after each submission is committed.
"""

from __future__ import annotations

import hashlib
import json
import random
import sys

from tpi_forms.kiosk.store import KioskStore, new_token


def main() -> None:
    folder, seed = sys.argv[1], int(sys.argv[2])
    rng = random.Random(seed)
    store = KioskStore(folder)
    print("ready", flush=True)
    n = 0
    while True:
        n += 1
        checkin = store.create_checkin(
            {"name": f"Crash Test {seed}-{n}", "date_of_birth": "1970-01-01"}, mode="staff"
        )
        payload = {"n": n, "seed": seed, "filler": "x" * rng.randint(0, 5000)}
        pdf = b"%PDF-1.7\n" + rng.randbytes(rng.randint(1_000, 300_000)) + b"\n%%EOF\n"
        pdf_sha = hashlib.sha256(pdf).hexdigest()
        token = new_token()
        store.submit(
            token,
            checkin.id,
            "consent",
            payload,
            {"packet_sha256": pdf_sha},
            event=("signed", {"token": token}),
            packet=(pdf, pdf_sha),
        )
        payload_sha = hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()
        print(token, checkin.id, payload_sha, pdf_sha, flush=True)


if __name__ == "__main__":
    main()
