"""Tests for mbom.capture collectors."""
