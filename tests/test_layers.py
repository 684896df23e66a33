"""Imports point one way: the engine core imports none of agents, memory, metrics, app (DESIGN.md §1)."""

from __future__ import annotations

import subprocess
import sys

import pytest

CORE = ["config", "events", "state", "rules", "views", "rng", "decisions", "engine", "store", "transcript"]
OUTER = ("agents", "memory", "metrics", "app", "streamlit", "openai", "langchain", "pandas")


@pytest.mark.parametrize("module", CORE)
def test_core_module_imports_no_outer_package(module: str) -> None:
    code = (
        f"import sys, traitors.{module}; "
        f"bad = sorted(m for m in sys.modules if m.split('.')[0] in {OUTER!r}); print(','.join(bad))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "", f"traitors.{module} pulls in {result.stdout.strip()}"
