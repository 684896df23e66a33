"""Executors: where chunks of games run. ``local`` (one asyncio loop here), ``process`` (a pool of worker
processes, each chunk one asyncio loop; the default) and ``ray`` (tasks on a Ray cluster, an asyncio loop
inside each task). All of them report progress through ``on_message`` and obey the driver's signals.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import math
import multiprocessing as mp
import os
import signal
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from typing import Any

from traitors.batch.plan import GameTask
from traitors.batch.worker import GameOutcome, NoControl, run_chunk

OnMessage = Callable[[tuple[Any, ...]], None]
BACKENDS = ("process", "local", "ray")


class Signals:
    """The driver's two flags (drain: no new games; halt: stop at the next phase boundary), shareable
    with worker processes (``multiprocessing`` events) or used in this process only."""

    def __init__(self, shared: bool = False) -> None:
        make = pool_context().Event if shared else threading.Event
        self._drain, self._halt = make(), make()

    def drain(self) -> None:
        """Start no new game."""
        self._drain.set()

    def halt(self) -> None:
        """Start no new game and stop running ones at their next phase boundary."""
        self._drain.set()
        self._halt.set()

    def draining(self) -> bool:
        return self._drain.is_set()

    def halting(self) -> bool:
        return self._halt.is_set()


class LocalControl:
    """A worker's :class:`~traitors.batch.worker.Control` in the driver's own process."""

    def __init__(self, signals: Signals, on_message: OnMessage) -> None:
        self.signals, self.on_message = signals, on_message

    def draining(self) -> bool:
        return self.signals.draining()

    def halting(self) -> bool:
        return self.signals.halting()

    def report(self, message: tuple[Any, ...]) -> None:
        self.on_message(message)


def pool_context() -> Any:
    """``fork`` where the platform has it (workers start at once, inheriting the driver's imports), else
    ``spawn``. The pool forks before the driver starts any thread of its own (see :func:`run_process`)."""
    return mp.get_context("fork" if "fork" in mp.get_all_start_methods() else "spawn")


def chunked(tasks: Sequence[GameTask], size: int) -> list[list[GameTask]]:
    """Consecutive chunks of at most ``size`` tasks."""
    return [list(tasks[i : i + size]) for i in range(0, len(tasks), max(1, size))]


def run_local(
    tasks: Sequence[GameTask], db_url: str, concurrency: int, signals: Signals, on_message: OnMessage
) -> list[GameOutcome]:
    """Every game in one asyncio loop in this process."""
    return asyncio.run(run_chunk(tasks, db_url, concurrency, LocalControl(signals, on_message)))


# -- process pool -----------------------------------------------------------------------------------------

_control: Any = None  # the worker process's control, set by _init_worker


class _QueueControl:
    def __init__(self, signals: Signals, queue: Any) -> None:
        self.signals, self.queue = signals, queue

    def draining(self) -> bool:
        return self.signals.draining()

    def halting(self) -> bool:
        return self.signals.halting()

    def report(self, message: tuple[Any, ...]) -> None:
        self.queue.put(message)


def _init_worker(signals: Signals, queue: Any) -> None:
    global _control
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the driver decides what Ctrl-C means
    with contextlib.suppress(OSError, AttributeError):  # die with the driver, even if it is SIGKILLed
        ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    _control = _QueueControl(signals, queue)


def _process_chunk(tasks: list[GameTask], db_url: str, concurrency: int) -> list[GameOutcome]:
    return asyncio.run(run_chunk(tasks, db_url, concurrency, _control))


def run_process(
    tasks: Sequence[GameTask],
    db_url: str,
    concurrency: int,
    signals: Signals,
    on_message: OnMessage,
    workers: int,
    chunk_size: int | None = None,
) -> list[GameOutcome]:
    """Chunks of games on a pool of ``workers`` processes; ``concurrency`` is split among them."""
    ctx = pool_context()
    queue = ctx.Queue()
    per_worker = max(1, math.ceil(concurrency / workers))
    size = chunk_size or max(1, min(per_worker * 4, math.ceil(len(tasks) / (workers * 4))), per_worker)
    reader = threading.Thread(target=_read_queue, args=(queue, on_message), daemon=True)
    outcomes: list[GameOutcome] = []
    try:
        with ProcessPoolExecutor(
            workers, mp_context=ctx, initializer=_init_worker, initargs=(signals, queue)
        ) as pool:
            # with fork, the first submit forks every worker: only then may this process start threads
            pending = {
                pool.submit(_process_chunk, chunk, db_url, per_worker) for chunk in chunked(tasks, size)
            }
            reader.start()
            try:
                while pending:
                    done, pending = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
                    for future in done:
                        outcomes.extend(future.result())
            except KeyboardInterrupt:  # the second Ctrl-C: abort now (stored phases stay resumable)
                for process in list(getattr(pool, "_processes", {}).values()):
                    process.kill()
                pool.shutdown(wait=False, cancel_futures=True)
                raise
    finally:
        if reader.is_alive():
            queue.put(None)
            reader.join(timeout=10)
    return outcomes


def _read_queue(queue: Any, on_message: OnMessage) -> None:
    while (message := queue.get()) is not None:
        on_message(message)


# -- Ray ----------------------------------------------------------------------------------------------------


def _ray_chunk(tasks: list[GameTask], db_url: str | None, concurrency: int) -> list[GameOutcome]:
    return asyncio.run(run_chunk(tasks, db_url, concurrency, NoControl()))


def run_ray(
    tasks: Sequence[GameTask],
    db_url: str | None,
    concurrency: int,
    signals: Signals,
    on_message: OnMessage,
    address: str | None = None,
    chunk_size: int | None = None,
) -> list[GameOutcome]:
    """Chunks of games as Ray tasks (an asyncio loop in each). ``db_url=None``: tasks return their events
    and the driver stores them. Joins ``address`` or ``RAY_ADDRESS`` if given, else starts a local Ray."""
    try:
        import ray
    except ImportError:
        raise RuntimeError("the ray backend needs Ray: pip install 'traitors[ray]'") from None
    started = False
    if not ray.is_initialized():
        address = address or os.environ.get("RAY_ADDRESS") or None
        ray.init(address=address, include_dashboard=False, log_to_driver=False, configure_logging=False)
        started = True
    try:
        slots = max(1, int(ray.cluster_resources().get("CPU", 1)))
        per_task = max(1, math.ceil(concurrency / slots))
        size = chunk_size or max(per_task, min(64, math.ceil(len(tasks) / (slots * 4))))
        remote = ray.remote(num_cpus=1, max_retries=0)(_ray_chunk)
        queue = chunked(tasks, size)[::-1]
        running: list[Any] = []
        outcomes: list[GameOutcome] = []
        while queue or running:
            while queue and len(running) < slots * 2 and not signals.draining():
                running.append(remote.remote(queue.pop(), db_url, per_task))
            if not running:
                break
            done, running = ray.wait(running, num_returns=1, timeout=0.5)
            for ref in done:
                for outcome in ray.get(ref):
                    on_message(("game", outcome))
                    outcomes.append(outcome)
        return outcomes
    finally:
        if started:
            ray.shutdown()
