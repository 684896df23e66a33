"""Run every benchmark, one after another, printing each one's table (``make bench``).

    python benchmarks/run_all.py            # all of them (the 10,000-game ones take minutes the first time)
    python benchmarks/run_all.py engine llm # only these

Each benchmark is also a one-command script of its own; results are recorded in benchmarks/RESULTS.md.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHMARKS: dict[str, list[str]] = {
    "engine": ["bench_engine.py"],
    "baselines": ["bench_baselines.py"],
    "memory": ["bench_memory.py"],
    "metrics": ["bench_metrics.py", "--no-record"],
    "llm": ["bench_llm.py"],
    "batch": ["bench_batch.py", "offline"],
    "batch-llm": ["bench_batch.py", "llm"],
    "app": ["bench_app.py"],
}


def main(names: list[str]) -> int:
    """Run the named benchmarks (all when none); returns the number that failed."""
    unknown = sorted(set(names) - set(BENCHMARKS))
    if unknown:
        print(f"unknown benchmark {', '.join(unknown)} (known: {', '.join(BENCHMARKS)})", file=sys.stderr)
        return 2
    failed = 0
    for name in names or list(BENCHMARKS):
        script, *args = BENCHMARKS[name]
        print(f"\n## {name}", flush=True)
        start = time.perf_counter()
        rc = subprocess.call([sys.executable, str(HERE / script), *args], cwd=HERE.parent)
        print(f"({name}: exit {rc}, {time.perf_counter() - start:.0f} s)", flush=True)
        failed += rc != 0
    return failed


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
