"""A small HTTP load generator, run in a process of its own: `python -m bench.load`.

It reads what to request as JSON on stdin (so that a key in a header is never on a command
line), sends that many GETs from several threads, each with its own connection, and prints
the seconds taken and the count of each status as JSON. Gunicorn's sync workers close the
connection after each response; http.client then opens a new one for the next request, as
any client of the production server does.
"""

import http.client
import json
import sys
import threading
import time
from collections import Counter


def hammer(port: int, path: str, headers: dict, remaining, statuses: Counter, lock) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    seen = Counter()
    for _ in remaining:
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        response.read()
        seen[response.status] += 1
        if response.will_close:
            connection.close()
    connection.close()
    with lock:
        statuses.update(seen)


def main() -> None:
    spec = json.load(sys.stdin)
    # One shared iterator hands out the requests (its next() holds the GIL), so the threads
    # together send exactly this many.
    remaining = iter(range(spec["requests"]))
    statuses, lock = Counter(), threading.Lock()
    threads = [
        threading.Thread(
            target=hammer,
            args=(spec["port"], spec["path"], spec["headers"], remaining, statuses, lock),
        )
        for _ in range(spec["threads"])
    ]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    counts = {str(status): n for status, n in statuses.items()}
    json.dump({"seconds": seconds, "statuses": counts}, sys.stdout)


if __name__ == "__main__":
    main()
