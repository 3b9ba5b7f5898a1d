"""What the recorded cases share."""

from __future__ import annotations

import pytest


@pytest.fixture
def unmetered(cloud, monkeypatch):
    """The block's executions and invocations leave no metric: the recorded cases' state machines and functions are
    not the stack's, and a series of theirs in the emulated CloudWatch would be one no dashboard graphs
    (tests/unit/test_dashboard.py holds every series recorded in its process to the dashboard)."""
    monkeypatch.setattr(cloud.metrics, "enabled", False)
