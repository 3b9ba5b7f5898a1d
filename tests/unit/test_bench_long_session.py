"""make bench's long session (bench/long_session.py), run short: a real emulator process, mixed traffic answered as
expected, and the figures it reports taken from what it measured."""

from __future__ import annotations

import pytest

from bench import long_session


@pytest.mark.slow
def test_a_short_session_reports_what_it_measured() -> None:
    session = long_session.run(requests=240, progress=False, stretch=100, orgs=16, seeded=2)
    assert session.requests == 240
    assert sum(session.statuses.values()) == 240
    kinds = {key.split()[0] for key in session.statuses}
    assert kinds >= {"charge", "balance", "ledger"}  # the mix, over 240 draws
    assert all(key.split()[1] in {"200", "201", "402", "503"} for key in session.statuses)
    assert session.first > 0
    assert session.last > 0
    assert 0 < session.cpu_first < 1000
    assert 0 < session.cpu_last < 1000
    assert session.steal_first >= 0
    assert 50 * 2**20 < session.rss_first < 2**31
    assert session.rss_last > 0
    rendered = long_session.render(session)
    assert f"{session.last:.1f} requests/s" in rendered
    assert "first 100" in rendered


def test_too_short_a_session_is_refused() -> None:
    with pytest.raises(long_session.BenchError):
        long_session.run(requests=100, progress=False, stretch=100)
