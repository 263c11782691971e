"""Run every benchmark, print one line each and write bench/results.json."""

import json
import shutil
import time
from pathlib import Path

from bench import database

RESULTS = Path(__file__).resolve().parent / "results.json"


def main() -> None:
    started = time.monotonic()
    print("bench: creating the bench database and migrating it", flush=True)
    scratch = database.prepare()
    # Imported only now: these modules use models and settings, which need django.setup().
    from bench import api_caseload, brief, dashboard, reminder_drain, reminder_sweep, worker_memory

    benchmarks = [
        (reminder_sweep.NAME, reminder_sweep.run),
        (reminder_drain.NAME, lambda: reminder_drain.run(scratch)),
        (dashboard.NAME, dashboard.run),
        (brief.NAME, brief.run),
        (api_caseload.NAME, lambda: api_caseload.run(scratch)),
        (worker_memory.NAME, lambda: worker_memory.run(scratch)),
    ]
    results, lines = {}, []
    try:
        for name, run in benchmarks:
            results[name], line = run()
            lines.append(line)
            print(line, flush=True)
    except BaseException:
        print(f"bench: failed; worker logs and mail are kept in {scratch}", flush=True)
        raise
    shutil.rmtree(scratch, ignore_errors=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print()
    print("\n".join(lines))
    print(f"bench: done in {time.monotonic() - started:.0f}s; wrote {RESULTS}")


if __name__ == "__main__":
    main()
