"""Protocol details behind :mod:`mbom.attest`: DSSE, key bundles, log entries, sigstore glue.

Nothing here is public API; the flat modules of :mod:`mbom.attest` are.
"""
