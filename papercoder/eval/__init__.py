"""Judging what a run built: a model's review against the paper, and measures without one."""

from papercoder.eval.judge import EVAL_FILE, evaluate
from papercoder.eval.model import EvalReport

__all__ = ["EVAL_FILE", "EvalReport", "evaluate"]
