"""The Ray backend joining a local Ray cluster that the test starts: same games as the local backend, with
the driver storing returned events (SQLite) or workers writing to the shared database (PostgreSQL), and
resuming unfinished games from events the driver ships to the workers."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.test_batch import MIXED, logs
from traitors.batch import run_batch
from traitors.batch.spec import parse_experiment
from traitors.store import Store

ray = pytest.importorskip("ray")


CLUSTER = """
import sys, ray
ray.init(num_cpus=2, include_dashboard=False, _temp_dir=sys.argv[1])
print("ADDRESS=" + ray.get_runtime_context().gcs_address, flush=True)
sys.stdin.read()  # until the test closes our stdin
ray.shutdown()
"""


@pytest.fixture(scope="module")
def ray_address() -> Iterator[str]:
    """A two-CPU local Ray cluster in another process (the batch joins it by address); its session
    files are removed afterwards."""
    temp = f"/tmp/ray-t{os.getpid()}"
    env = {**os.environ, "RAY_AUTH_MODE": "disabled"}
    os.environ.setdefault("RAY_AUTH_MODE", "disabled")
    proc = subprocess.Popen(
        [sys.executable, "-c", CLUSTER, temp],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert proc.stdout is not None
        address = ""
        for line in proc.stdout:  # skip anything Ray itself prints
            if line.startswith("ADDRESS="):
                address = line.removeprefix("ADDRESS=").strip()
                break
        assert address, "the Ray cluster did not start"
        yield address
    finally:
        proc.stdin.close()
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(temp, ignore_errors=True)


@pytest.mark.slow
def test_ray_backend_plays_the_same_games_and_resumes(ray_address: str, db_url: str, tmp_path: Path) -> None:
    exp = parse_experiment({**MIXED, "games": 3})
    reference = f"sqlite:///{tmp_path / 'ref.db'}"
    run_batch(exp, db=reference, backend="local", progress=False)
    expected = logs(reference)

    # half-played database: one game finished, a long one cut after its first night, the rest absent
    with Store(reference) as ref, Store(db_url) as target:
        played = {gid: ref.load_events(gid) for gid in sorted(expected)}
        long_game = max(played, key=lambda gid: played[gid][-1].day)
        done = next(gid for gid in played if gid != long_game)
        target.append(played[done])
        cut = next(i for i, e in enumerate(played[long_game]) if e.day == 2)  # day 2 starts a new phase
        target.append(played[long_game][:cut])
        assert target.game(long_game)["status"] == "running"

    result = run_batch(exp, db=db_url, backend="ray", concurrency=4, ray_address=ray_address, progress=False)
    assert not ray.is_initialized(), "the driver disconnects from a cluster it joined"
    assert result.count("failed") == 0, [o.error for o in result.outcomes]
    assert result.count("skipped") == 1 and result.count("finished") == len(expected) - 1
    assert any(o.resumed for o in result.outcomes)
    assert logs(db_url) == expected
