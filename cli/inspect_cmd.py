"""``mbom inspect``: a human summary of a BOM or a bundle (``--format json`` for machines)."""

from __future__ import annotations

from typing import Any

import click

from mbom._one_line import one_line
from mbom.cli._output import format_option


@click.command("inspect")
@click.argument("path", type=str)
@format_option("text", "json")
def inspect_command(path: str, output_format: str) -> None:
    """Summarise a BOM or a bundle: model, files, datasets, configs, lineage, signers."""
    from mbom.bom.describe import describe
    from mbom.bom.parents import load_bom_or_bundle

    bom, from_bundle = load_bom_or_bundle(path)
    report = describe(bom)
    report["source"] = {"path": path, "kind": "bundle" if from_bundle else "bom"}
    if from_bundle:
        from mbom.bom.parents import bundle_signers

        report["signers"] = bundle_signers(path)
    if output_format == "json":
        from mbom.cli._output import echo_json

        echo_json(report)
        return
    click.echo("\n".join(one_line(line) for line in render(report)))


def _size(value: Any) -> str:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return str(value)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if number < 1000 or unit == "TB":
            return f"{number:,} {unit}" if unit == "B" else f"{number:.1f} {unit}"
        number /= 1000  # type: ignore[assignment]
    return str(value)


def _file_note(item: dict[str, Any]) -> str:
    """``  [format, N tensors, parsed facts, UNSAFE: ...]`` for a checkpoint file."""
    from mbom.bom.model_facts import file_facts

    checkpoint = item.get("checkpoint", {})
    if not checkpoint:
        return ""
    facts = file_facts(item)
    parts = [str(facts["format"])]
    if facts["tensors"]:
        parts.append(f"{facts['tensors']} tensors")
    parts += [f"{words} {value}" for words, value in facts["facts"].items()]
    if checkpoint.get("safe-to-load") == "false":
        parts.append(
            "UNSAFE: "
            + (
                checkpoint.get("dangerous-globals")
                or checkpoint.get("unsafe-globals")
                or checkpoint.get("issues")
                or "see issues"
            )
        )
    return "  [" + ", ".join(parts) + "]"


def render(report: dict[str, Any]) -> list[str]:
    """The text form: one section per part, absent parts left out."""
    from mbom.bom.model_facts import model_facts

    lines = [
        f"{report['source']['kind']}  {report['source']['path']}",
        f"  CycloneDX {report['specVersion']}  {report['serialNumber'] or '(no serial number)'}"
        f"  {report['timestamp'] or ''}".rstrip(),
    ]
    tools = ", ".join(f"{t['name']} {t['version'] or ''}".strip() for t in report["tools"])
    if tools:
        lines.append(f"  tools: {tools}")
    counts = ", ".join(f"{n} {kind}" for kind, n in sorted(report["componentCounts"].items()))
    lines.append(f"  components: {counts or 'none'}; dependencies: {report['dependencies']}")
    for model in report["models"]:
        component = model["component"]
        lines.append("")
        lines.append(f"model  {component['name']} {component['version'] or ''}".rstrip())
        if component["licenses"]:
            lines.append(f"  licence: {', '.join(component['licenses'])}")
        facts = model_facts(model)
        words = [
            f"task {facts['task']}" if facts["task"] else "",
            f"architecture {facts['architecture']}" if facts["architecture"] else "",
            f"family {facts['family']}" if facts["family"] else "",
        ]
        if any(words):
            lines.append("  " + " · ".join(w for w in words if w))
        if facts["files"] is not None:
            lines.append(
                f"  files: {facts['files']} ({_size(facts['bytes'])})"
                + (
                    f", {facts['tensors']} tensors, {facts['parameters'] or 0:,} parameters"
                    if facts["tensors"] is not None
                    else ""
                )
            )
        if facts["merkleRoot"]:
            lines.append(f"  merkle root (sha256): {facts['merkleRoot']}")
        for item in model.get("files", []):
            digest = item["hashes"].get("SHA-256", "")
            digest = f"sha256:{digest[:16]}…" if digest else ""
            size = _size(item["size"]) if "size" in item else ""
            fields = [item.get("role", ""), item["path"], size, digest]
            lines.append("    " + "  ".join(f for f in fields if f) + _file_note(item))
        for ancestor in model.get("ancestors", []):
            source = ancestor["properties"].get("mbom:lineage:source", "pedigree")
            lines.append(f"  parent: {ancestor['name']} {ancestor['version'] or ''} ({source})")
        for metric in model["metrics"]:
            lines.append(
                f"  metric: {metric['type']} = {metric['value']}"
                + (f" on {metric['slice']}" if metric["slice"] else "")
            )
    if report["datasets"]:
        lines += ["", "datasets"]
        for item in report["datasets"]:
            props = item["properties"]
            if props.get("mbom:hashed") == "false":
                lines.append(f"  {item['name']}  (named, not hashed)")
                continue
            detail = (
                f"{props['mbom:dataset:files']} files, {_size(props['mbom:dataset:bytes'])}"
                if "mbom:dataset:files" in props
                else f"{item['files']} files"
            )
            root = props.get("mbom:merkle-root:sha256") or item["hashes"].get("SHA-256", "")
            lines.append(
                f"  {item['name']}  {detail}  root {root[:16]}…"
                + (f"  manifest {props['mbom:manifest']}" if "mbom:manifest" in props else "")
            )
    if report["configs"]:
        lines += ["", "configs"]
        for item in report["configs"]:
            lines.append(f"  {item['name']}  sha256:{item['hashes'].get('SHA-256', '')[:16]}…")
    if report.get("hyperparameters"):
        pairs = ", ".join(f"{k}={v}" for k, v in report["hyperparameters"].items())
        lines.append(f"  hyperparameters: {pairs}")
    if report.get("environment") or report.get("git"):
        lines += ["", "environment"]
        env = report.get("environment", {})
        for key in ("python", "os", "cpu", "gpu:0", "container-image"):
            if f"mbom:env:{key}" in env:
                lines.append(f"  {key}: {env[f'mbom:env:{key}']}")
        if report.get("packages"):
            lines.append(f"  packages: {report['packages']}")
        git = report.get("git")
        if git:
            lines.append(
                f"  git: {git.get('commit', '')[:12]} {git.get('branch') or ''}"
                f"{' (dirty)' if git.get('dirty') == 'true' else ''} "
                f"{git.get('remote') or ''}".rstrip()
            )
    for step in report.get("checkpoints", []):
        lines.append(
            f"  checkpoint: step {step.get('mbom:checkpoint:step')} "
            f"{step.get('mbom:checkpoint:path')}"
        )
    if "signers" in report:
        lines += ["", "signers (as the bundle states them; `mbom verify` checks them)"]
        for signer in report["signers"] or [{"identity": "none found"}]:
            lines.append("  " + ", ".join(f"{k}: {v}" for k, v in signer.items()))
    return lines
