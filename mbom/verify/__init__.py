"""Verify a model before use: signatures, trust, digests on disk, BOM, datasets, lineage, policy.

Usage::

    from mbom import verify

    report = verify.verify(verify.VerifyRequest(
        path="model/", bundles=("bom.cdx.json.sigstore.json",), keys=("release.pub",),
        policy="policy.yaml"))
    report.verified, report.exit_code, report.as_json()
    print(verify.render_text(report))

    model = verify.verified_model("model/", bundles=[...], keys=[...])   # serving code

Every check runs and is reported (no early exit hides a later failure); ``verified`` is true
only when none failed. Names load lazily, so importing this package is cheap. Contract:
docs/verify.md, docs/policy.md, docs/threat-model.md.
"""

from __future__ import annotations

from mbom._lazy import lazy_exports

#: public name -> submodule of mbom.verify that defines it
_EXPORTS = {
    "Check": "checks",
    "Report": "checks",
    "IdentityRule": "trust",
    "Trust": "trust",
    "load_trust": "trust",
    "Policy": "policy",
    "load_policy": "policy",
    "VerifyRequest": "pipeline",
    "verify": "pipeline",
    "render_text": "report_text",
    "render_sarif": "report_sarif",
    "render_junit": "report_junit",
    "VerifiedModel": "serving",
    "verified_model": "serving",
    "verified_copy": "serving",
}

__all__ = sorted(_EXPORTS)


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
