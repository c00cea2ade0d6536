"""Test suite package (lets `tests.sigstore_stack` be imported as a pytest plugin)."""
