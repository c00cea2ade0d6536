"""Crash census: with ``MBOM_FUZZ_CENSUS=FILE`` the fuzz tests record every example instead of
stopping at the first crash, so one run counts examples and distinct crash sites per parser.

    MBOM_FUZZ_CENSUS=/tmp/census.jsonl pytest tests/fuzz -p no:randomly
    python -m tests.fuzz.census /tmp/census.jsonl

Each line is one parser call (an example through three readers is three lines):
``{"parser": test name, "crash": null | "TypeError at mbom/x.py:fn:12"}``. Without
the variable nothing is recorded and a crash fails the test as usual.
"""

from __future__ import annotations

import json
import os
import sys
import traceback
from collections import Counter, defaultdict

ENV = "MBOM_FUZZ_CENSUS"


def enabled() -> bool:
    return bool(os.environ.get(ENV))


def _parser() -> str:
    current = os.environ.get("PYTEST_CURRENT_TEST", "?")
    return current.split("::")[-1].split(" ")[0]


def site(exc: BaseException) -> str:
    """``Type at file:function:line`` of the innermost frame in mbom's own code."""
    while isinstance(exc.__cause__, BaseException) and type(exc).__name__ == "InternalError":
        exc = exc.__cause__
    frames = traceback.extract_tb(exc.__traceback__)
    ours = [f for f in frames if "/mbom/" in f.filename or "/cli/" in f.filename]
    frame = (ours or frames or [None])[-1]
    where = "?" if frame is None else f"{_short(frame.filename)}:{frame.name}:{frame.lineno}"
    return f"{type(exc).__name__} at {where}"


def _short(filename: str) -> str:
    for marker in ("/mbom/", "/cli/"):
        if marker in filename:
            return marker.strip("/") + "/" + filename.rsplit(marker, 1)[1]
    return os.path.basename(filename)


def record(crash: BaseException | None) -> None:
    line = {"parser": _parser(), "crash": None if crash is None else site(crash)}
    with open(os.environ[ENV], "a", encoding="utf-8") as handle:
        handle.write(json.dumps(line) + "\n")


def summarize(path: str) -> None:
    examples: Counter[str] = Counter()
    crashes: Counter[str] = Counter()
    sites: dict[str, Counter[str]] = defaultdict(Counter)
    with open(path, encoding="utf-8") as handle:
        for raw in handle:
            line = json.loads(raw)
            examples[line["parser"]] += 1
            if line["crash"]:
                crashes[line["parser"]] += 1
                sites[line["parser"]][line["crash"]] += 1
    print(f"{'test':40} {'calls':>9} {'crashes':>8} {'sites':>6}")
    for parser in sorted(examples):
        print(f"{parser:40} {examples[parser]:9} {crashes[parser]:8} {len(sites[parser]):6}")
    print(f"{'total':40} {sum(examples.values()):9} {sum(crashes.values()):8}")
    for parser in sorted(sites):
        for where, count in sites[parser].most_common():
            print(f"  {parser}: {count} x {where}")


if __name__ == "__main__":
    summarize(sys.argv[1])
