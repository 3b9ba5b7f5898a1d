"""The emulator's library patches refuse to start on a library they were not written against."""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys
from pathlib import Path

import pytest

from emulator import patches
from emulator.patches import LibraryChanged, Patch


class _Library:
    @staticmethod
    def parse(text: str) -> str:
        return text


def test_every_patch_matches_the_pinned_libraries_before_it_is_installed() -> None:
    # Given the libraries installed from requirements-dev.txt, unpatched (a fresh interpreter: this one's were
    # patched by the session fixture), when every patch is checked, then none differs
    checked = subprocess.run(  # this interpreter, a fixed snippet
        [sys.executable, "-c", "from emulator import patches; patches.check(patches.all_patches()); print('ok')"],
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert (checked.returncode, checked.stdout.strip()) == (0, "ok"), checked.stderr


def test_a_replaced_function_whose_parameters_changed_stops_the_start_naming_it() -> None:
    # Given a patch written for parse(source), while the library's parse now takes (text)
    changed = Patch("moto", _Library, "parse", lambda original: original, ("source",))

    # When the patches are checked, then the start stops and says which function changed, and how
    with pytest.raises(LibraryChanged, match=r"_Library\.parse now takes \('text',\), not \('source',\)"):
        patches.check([changed])


def test_a_replaced_attribute_that_no_longer_exists_stops_the_start() -> None:
    gone = Patch("airspeed", _Library, "calculate", lambda original: original)

    with pytest.raises(LibraryChanged, match=r"_Library\.calculate no longer exists"):
        patches.check([gone])


def test_another_version_of_a_patched_library_stops_the_start(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given moto installed at a version other than the one the patches were written against
    installed = importlib.metadata.version
    monkeypatch.setattr(importlib.metadata, "version", lambda name: "9.9.9" if name == "moto" else installed(name))

    # When the patches are checked, then the start stops naming both versions
    with pytest.raises(LibraryChanged, match=r"moto 9\.9\.9 is installed, the emulator patches moto 5\.2\.5"):
        patches.check([])
