"""Batch experiments: specs (scenarios × populations × games), executors (process pool, one loop, Ray),
budgets, progress and resume. A composition-root package like :mod:`traitors.runner` (it imports agents).

    from traitors.batch import run_batch
    result = run_batch("scenarios/experiments/paper_replication.yaml", db="sqlite:///paper.db")
"""

from traitors.batch.driver import BatchResult, prepare, run_batch
from traitors.batch.plan import GameTask, balanced_seating, plan_games
from traitors.batch.progress import summary_table
from traitors.batch.spec import Experiment, ExperimentError, Population, load_experiment
from traitors.batch.worker import GameOutcome

__all__ = [
    "BatchResult",
    "Experiment",
    "ExperimentError",
    "GameOutcome",
    "GameTask",
    "Population",
    "balanced_seating",
    "load_experiment",
    "plan_games",
    "prepare",
    "run_batch",
    "summary_table",
]
