"""Collectors that turn model files, datasets, configs and environments into typed records."""
