"""A longer run of tests/test_fuzz.py's property, with counts: per reader, how many mutated
files were accepted, how many rejected with a RarebomError, and any other exception.

    python fuzz/long_run.py 2000            # examples per reader (default 1000)
    python fuzz/long_run.py 500 csv xlsx    # some readers only

An escape stops the run for that reader and is printed with hypothesis's shrunk example.
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from pathlib import Path

from hypothesis import HealthCheck, given, settings

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.fuzz_strategies import FORMATS, mutated  # noqa: E402
from tests.test_fuzz import survives  # noqa: E402


def run(fmt: str, examples: int) -> Counter:
    counts: Counter = Counter()

    @settings(max_examples=examples, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(data=mutated(fmt))
    def check(data):
        counts["accepted" if survives(data, fmt) is not None else "rejected"] += 1

    try:
        check()
    except Exception as exc:  # an escape: report it and go on to the next reader
        counts[f"escape {type(exc).__name__}"] += 1
        print(f"{fmt}: {type(exc).__name__}: {exc}", file=sys.stderr)
    return counts


def main(argv: list[str]) -> None:
    examples = int(argv[1]) if len(argv) > 1 else 1000
    for fmt in argv[2:] or FORMATS:
        start = time.perf_counter()
        counts = run(fmt, examples)
        print(f"{fmt}: {dict(counts)} in {time.perf_counter() - start:.0f} s", flush=True)


if __name__ == "__main__":
    main(sys.argv)
