"""How the bench prints: one Markdown table (docs/benchmark.md keeps the latest) and the machine it was measured on."""

from __future__ import annotations

import os
import platform
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path


def format_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A Markdown table with its columns padded to one width, readable in a terminal and pasteable in
    docs/benchmark.md."""
    widths = [len(cell) for cell in header]
    for row in rows:
        if len(row) != len(header):
            raise ValueError(f"a row has {len(row)} cells, the header {len(header)}: {row}")
        widths = [max(width, len(cell)) for width, cell in zip(widths, row, strict=True)]

    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True)) + " |"

    rule = "|" + "|".join("-" * (width + 2) for width in widths) + "|"
    return "\n".join([line(header), rule, *(line(row) for row in rows)])


def verdict(value: float, target: float) -> str:
    return "PASS" if value <= target else "MISS"


def number(value: float) -> str:
    """An integer as such (3, not 3.00); otherwise two decimals."""
    return str(int(value)) if value == int(value) else f"{value:.2f}"


def cpu_model(cpuinfo: str) -> str | None:
    """The first 'model name' of /proc/cpuinfo (x86), else its 'Hardware' or 'Processor' line (some ARM)."""
    for key in ("model name", "Hardware", "Processor"):
        for line in cpuinfo.splitlines():
            name, separator, value = line.partition(":")
            if separator and name.strip() == key and value.strip():
                return value.strip()
    return None


def machine(cpuinfo_path: Path = Path("/proc/cpuinfo"), now: datetime | None = None) -> str:
    try:
        model = cpu_model(cpuinfo_path.read_text(encoding="utf-8"))
    except OSError:
        model = None
    cores = os.cpu_count() or 0
    day = (now or datetime.now(UTC)).date().isoformat()
    return (
        f"Machine: {model or platform.processor() or platform.machine()}, {cores} cores, "
        f"Python {platform.python_version()}, {day}"
    )
