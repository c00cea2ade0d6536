"""`make mutation`: mutmut over the gate modules, one module at a time, with a kill-rate table.

Why a wrapper and not plain ``mutmut run``: mutmut reads one ``[tool.mutmut]`` section, so one
run would mutate every module against the union of their tests. Here each module gets its own
workspace ``mutants/<name>/`` (a generated pyproject.toml, links to the sources and tests, and
mutmut's own ``mutants/`` copy and cache inside it), mutates only its file and runs only its
tests (modules.toml). Surviving mutants that cannot change behaviour are listed, with a reason,
in equivalents.toml under a key that survives renumbering: module, function, and the
mutated source line before and after. See docs/mutation.md.

    python tools/mutation/run.py [NAME ...] [--max-children N] [--fresh] [--survivors FILE]

Exit status: 0 when every module run reaches the threshold, 1 when one does not (or mutmut
itself failed), 2 on a usage error.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
WORKSPACES = REPO / "mutants"
# What the tests need beside themselves: the sources (mbom/ is what mutmut copies and mutates)
# and the folders tests read through paths relative to the repository root.
LINKED = ("mbom", "tests", "cli", "integrations", "schemas", "fixtures")
ALSO_COPY = ("cli", "integrations", "schemas", "fixtures")
# mutmut's exit-code verdicts (mutmut.stats.status_by_exit_code), grouped for the table.
KILLED = {1, 3}
TIMEOUT = {-24, 24, 152, 255, 36, -9, -11}  # SIGXCPU / SIGKILL after the CPU limit: detected


@dataclass(frozen=True, slots=True)
class Mutant:
    """One surviving mutant, described so a person (and equivalents.toml) can find it."""

    name: str
    module: str
    function: str
    line: int
    removed: str
    added: str
    status: str

    def key(self) -> tuple[str, str, str, str]:
        return (self.module, self.function, self.removed, self.added)


@dataclass(slots=True)
class ModuleResult:
    name: str
    path: str
    total: int = 0
    killed: int = 0
    timeout: int = 0
    equivalent: int = 0
    survivors: list[Mutant] = field(default_factory=list)
    matched: set[tuple[str, str, str, str]] = field(default_factory=set)
    seconds: float = 0.0
    error: str | None = None

    @property
    def counted(self) -> int:
        return self.total - self.equivalent

    @property
    def rate(self) -> float:
        return 100.0 * (self.killed + self.timeout) / self.counted if self.counted else 100.0


def load_config() -> dict:
    return tomllib.loads((HERE / "modules.toml").read_text(encoding="utf-8"))


def load_equivalents() -> dict[tuple[str, str, str, str], str]:
    """Documented equivalent mutants: stable key -> one-line reason."""
    data = tomllib.loads((HERE / "equivalents.toml").read_text(encoding="utf-8"))
    found: dict[tuple[str, str, str, str], str] = {}
    for entry in data.get("equivalent", []):
        key = (entry["module"], entry["function"], _norm(entry["removed"]), _norm(entry["added"]))
        if not entry.get("reason", "").strip():
            raise SystemExit(f"equivalents.toml: {key} has no reason")
        found[key] = entry["reason"]
    return found


def _norm(code: str) -> str:
    return " / ".join(part.strip() for part in code.split(" / ") if part.strip())


def shared_folder() -> Path:
    """The ``shared`` folder beside this checkout, or beside the main one for a git worktree.

    Tests look for ``<checkout>/../shared/fixtures`` and skip when it is missing; a worktree
    beside no such folder would silently run fewer tests than the main checkout does.
    """
    beside = REPO.parent / "shared"
    if beside.exists():
        return beside
    try:
        common = subprocess.run(
            ["git", "rev-parse", "--path-format=absolute", "--git-common-dir"],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return beside
    return Path(common).parent.parent / "shared"


def prepare_workspace(name: str, module: dict, fresh: bool) -> Path:
    """mutants/<name>/: links to the tree, and a pyproject.toml with this module's [tool.mutmut]."""
    workspace = WORKSPACES / name
    if fresh and workspace.exists():
        shutil.rmtree(workspace)
    # mutmut's copy must exist before it starts: a PYTHONPATH entry that is missing when the
    # interpreter starts stays unimportable (sys.path_importer_cache remembers it as absent).
    (workspace / "mutants").mkdir(parents=True, exist_ok=True)
    links = {entry: REPO / entry for entry in LINKED}
    # Tests find ../shared/fixtures beside the checkout (tests skip what is absent).
    links["shared"] = shared_folder()
    for entry, target in links.items():
        link = workspace / entry
        if link.is_symlink() or link.exists():
            continue
        if target.exists():
            link.symlink_to(target, target_is_directory=True)
    settings = {
        "source_paths": ["mbom"],
        "only_mutate": [module["path"]],
        "pytest_add_cli_args_test_selection": list(module["tests"]),
        "pytest_add_cli_args": ["-p", "mbom_mutation_plugin"],
        "also_copy": [entry for entry in ALSO_COPY if (REPO / entry).exists()],
        "use_git_change_detection": False,
        "use_setproctitle": False,
    }
    base = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    if "[tool.mutmut]" in base:
        raise SystemExit("pyproject.toml has a [tool.mutmut] section: keep it in modules.toml")
    section = "\n[tool.mutmut]\n" + "".join(
        f"{key} = {json.dumps(value)}\n" for key, value in settings.items()
    )
    text = base + section
    tomllib.loads(text)
    target = workspace / "pyproject.toml"
    if not target.exists() or target.read_text(encoding="utf-8") != text:
        target.write_text(text, encoding="utf-8")
    return workspace


def forget_survivors(workspace: Path, path: str) -> None:
    """mutmut keeps a survivor's verdict even after new tests are added: retest them all.

    Killed and timed-out verdicts stay cached (mutmut itself resets them when the mutated
    function changes); --fresh discards everything, for when tests were weakened.
    """
    meta = workspace / "mutants" / (path + ".meta")
    if not meta.exists():
        return
    data = json.loads(meta.read_text(encoding="utf-8"))
    codes = data["exit_code_by_key"]
    for key, code in codes.items():
        if code not in KILLED and code not in TIMEOUT:
            codes[key] = None
    meta.write_text(json.dumps(data, indent=4), encoding="utf-8")


def run_mutmut(workspace: Path, max_children: int) -> int:
    hits = workspace / "subprocess-hits.txt"
    hits.unlink(missing_ok=True)
    env = {k: v for k, v in os.environ.items() if k != "MUTANT_UNDER_TEST"}
    # The hooks folder (sitecustomize + pytest plugin), then the mutated copy, so that
    # `python -m mbom.cli` subprocesses run the mutant too, whatever their cwd.
    env["PYTHONPATH"] = os.pathsep.join(
        [str(HERE / "hooks"), str(workspace / "mutants"), env.get("PYTHONPATH", "")]
    ).rstrip(os.pathsep)
    env["MBOM_MUTATION_HITS"] = str(hits)
    # mutmut's console script, spelled so it works from any venv that can import mutmut.
    launch = "import sys; from mutmut.__main__ import cli; sys.argv[0] = 'mutmut'; cli()"
    command = ["nice", "-n", "10", sys.executable, "-c", launch, "run"]
    command += ["--max-children", str(max_children)]
    # mutmut redraws a progress line many times a second: keep it in a log, not the terminal.
    log = workspace / "mutmut.log"
    with log.open("w", encoding="utf-8") as out:
        code = subprocess.call(
            command, cwd=workspace, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    if code != 0:
        tail = log.read_text(encoding="utf-8", errors="replace").replace("\r", "\n")
        print("\n".join(tail.splitlines()[-25:]), file=sys.stderr)
        print(f"mutmut exited {code}; full output in {log}", file=sys.stderr)
    return code


def collect(name: str, module: dict, workspace: Path, equivalents: dict) -> ModuleResult:
    """Read mutmut's verdicts for the module's file and describe each survivor."""
    result = ModuleResult(name=name, path=module["path"])
    meta = workspace / "mutants" / (module["path"] + ".meta")
    if not meta.exists():
        result.error = "mutmut wrote no results"
        return result
    codes: dict[str, int | None] = json.loads(meta.read_text(encoding="utf-8"))["exit_code_by_key"]
    source = (REPO / module["path"]).read_text(encoding="utf-8")
    result.total = len(codes)
    for mutant_name, code in sorted(codes.items(), key=lambda item: _mutant_order(item[0])):
        if code in KILLED:
            result.killed += 1
            continue
        if code in TIMEOUT:
            result.timeout += 1
            continue
        mutant = describe(workspace, module["path"], source, mutant_name, _status(code))
        if mutant.key() in equivalents:
            result.equivalent += 1
            result.matched.add(mutant.key())
        else:
            result.survivors.append(mutant)
    return result


def _mutant_order(mutant_name: str) -> tuple[str, int]:
    stem, _, number = mutant_name.rpartition("__mutmut_")
    return (stem, int(number) if number.isdigit() else 0)


def _status(code: int | None) -> str:
    return {0: "survived", 33: "no tests", 5: "no tests", None: "not checked"}.get(
        code, f"exit {code}"
    )


def describe(workspace: Path, path: str, source: str, mutant_name: str, status: str) -> Mutant:
    from mutmut.mutation.diff_apply import get_diff_for_mutant
    from mutmut.utils.format_utils import orig_function_and_class_names_from_key

    function, class_name = orig_function_and_class_names_from_key(mutant_name)
    qualified = f"{class_name}.{function}" if class_name else function
    cwd = Path.cwd()
    os.chdir(workspace)
    try:
        diff = get_diff_for_mutant(mutant_name, path=path)
    finally:
        os.chdir(cwd)
    lines = diff.splitlines()
    removed = [ln[1:] for ln in lines if ln.startswith("-") and not ln.startswith("---")]
    added = [ln[1:] for ln in lines if ln.startswith("+") and not ln.startswith("+++")]
    hunk = next((ln for ln in lines if ln.startswith("@@")), "@@ -1 +1 @@")
    offset = int(re.match(r"@@ -(\d+)", hunk).group(1))  # type: ignore[union-attr]
    line = _source_line(source, qualified, removed[0] if removed else "", offset)
    return Mutant(
        name=mutant_name,
        module=path,
        function=qualified,
        line=line,
        removed=_norm(" / ".join(removed)),
        added=_norm(" / ".join(added)),
        status=status,
    )


def function_span(source: str, qualified: str) -> tuple[int, int] | None:
    """First (decorators included) and last line of ``name`` or ``Class.name`` in ``source``."""
    scope: list[ast.stmt] = ast.parse(source).body
    *classes, name = qualified.split(".")
    for class_name in classes:
        scope = next(
            (n.body for n in scope if isinstance(n, ast.ClassDef) and n.name == class_name), []
        )
    for node in scope:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == name:
            first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            return first, node.end_lineno or first
    return None


def _source_line(source: str, qualified: str, text: str, offset: int) -> int:
    """The line of the original file the mutation is on (the match nearest the diff's hunk)."""
    span = function_span(source, qualified)
    if span is None:
        return 0
    first, end = span
    lines = source.splitlines()
    wanted = text.strip()
    matches = [n for n in range(first, end + 1) if lines[n - 1].strip() == wanted]
    guess = first + offset - 1
    return min(matches, key=lambda n: abs(n - guess)) if matches else guess


def print_table(results: list[ModuleResult], threshold: float) -> None:
    header = ("module", "mutants", "equiv", "killed", "timeout", "survived", "kill rate", "time")
    rows = [header]
    for r in results:
        rate = "error" if r.error else f"{r.rate:.1f} %"
        rows.append(
            (
                r.path,
                str(r.total),
                str(r.equivalent),
                str(r.killed),
                str(r.timeout),
                str(len(r.survivors)),
                rate,
                f"{r.seconds:.0f} s",
            )
        )
    total = ModuleResult(name="total", path="total")
    for r in results:
        total.total += r.total
        total.killed += r.killed
        total.timeout += r.timeout
        total.equivalent += r.equivalent
        total.survivors += r.survivors
        total.seconds += r.seconds
    if len(results) > 1:
        rows.append(
            (
                "total",
                str(total.total),
                str(total.equivalent),
                str(total.killed),
                str(total.timeout),
                str(len(total.survivors)),
                f"{total.rate:.1f} %",
                f"{total.seconds:.0f} s",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    for i, row in enumerate(rows):
        cells = [row[0].ljust(widths[0])] + [c.rjust(w) for c, w in zip(row[1:], widths[1:])]
        print("  ".join(cells))
        if i == 0 or (len(results) > 1 and i == len(rows) - 2):
            print("  ".join("-" * w for w in widths))
    print(f"kill rate = (killed + timeout) / (mutants - equivalent); threshold {threshold:.0f} %")


def survivor_lines(results: list[ModuleResult]) -> list[str]:
    out = []
    for r in results:
        for m in r.survivors:
            out.append(
                f"{m.module}:{m.line}: [{m.status}] {m.function}: {m.removed!r} -> {m.added!r}"
                f"  ({m.name})"
            )
    return out


def main(argv: list[str] | None = None) -> int:
    config = load_config()
    modules: dict[str, dict] = config["modules"]
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "names", nargs="*", help=f"modules to run (default all: {' '.join(modules)})"
    )
    parser.add_argument("--max-children", type=int, default=int(config.get("max_children", 2)))
    parser.add_argument("--fresh", action="store_true", help="discard cached mutmut results first")
    parser.add_argument("--report-only", action="store_true", help="reprint the last results")
    parser.add_argument("--survivors", type=Path, help="also write the surviving mutants here")
    args = parser.parse_args(argv)
    unknown = [n for n in args.names if n not in modules]
    if unknown:
        parser.error(f"unknown module {', '.join(unknown)}; known: {', '.join(modules)}")
    threshold = float(config.get("threshold", 95.0))
    equivalents = load_equivalents()
    results = []
    for name in args.names or list(modules):
        module = modules[name]
        workspace = prepare_workspace(name, module, args.fresh)
        started = time.monotonic()
        if not args.report_only:
            print(f"== {name}: {module['path']} against {' '.join(module['tests'])}", flush=True)
            forget_survivors(workspace, module["path"])
            code = run_mutmut(workspace, args.max_children)
        else:
            code = 0
        result = collect(name, module, workspace, equivalents)
        result.seconds = time.monotonic() - started
        if code != 0 and result.error is None:
            result.error = f"mutmut exited {code}"
        timing = workspace / "seconds.txt"
        if args.report_only and timing.exists():
            result.seconds = float(timing.read_text())
        elif not args.report_only:
            timing.write_text(f"{result.seconds:.1f}\n")
        results.append(result)
    print()
    lines = survivor_lines(results)
    if lines:
        print("Surviving mutants (kill each with a test, or document it in equivalents.toml):")
        print("\n".join(f"  {line}" for line in lines))
        print()
    print_table(results, threshold)
    for r in results:
        for key in sorted(k for k in equivalents if k[0] == r.path and k not in r.matched):
            print(f"note: equivalents.toml entry matched no survivor (killed now?): {key}")
    if args.survivors:
        args.survivors.write_text("\n".join(lines) + ("\n" if lines else ""), encoding="utf-8")
    failed = [r for r in results if r.error or r.rate < threshold]
    for r in failed:
        print(f"FAIL {r.path}: {r.error or f'{r.rate:.1f} % < {threshold:.0f} %'}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
