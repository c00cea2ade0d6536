"""Helpers shared by several test packages (locating installed test models, ...)."""
