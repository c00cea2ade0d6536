"""Forensics for auditors: what changed between two BOMs, a tamper-evident log, and proofs
that a file belongs to a dataset whose Merkle root a signed BOM holds.

Usage::

    from mbom.forensics.diff import diff_boms
    from mbom.forensics.log import append_event, verify_log
    from mbom.forensics.proofs import make_proof, check_proof

Formats and algorithms: docs/forensics.md. Nothing in the library imports this package; only
the command line does.
"""
