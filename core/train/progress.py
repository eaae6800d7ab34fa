"""What a training run tells its watchers: one event per step and per evaluation, for the CLI and the wizard.

:class:`ProgressCallback` listens to the ``transformers`` Trainer and turns its events into
:class:`TrainProgress`; it also carries the cancel flag into the Trainer. When training ends, early
stopping included, a last event says every step is done, so a progress bar never stops half way.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from transformers import TrainerCallback


@dataclass
class EpochRecord:
    epoch: int
    train_loss: float | None
    eval_loss: float
    accuracy: float
    macro_f1: float
    step: int = 0  # the global step it ended at, which names its checkpoint


@dataclass
class TrainProgress:
    """What the CLI prints and the wizard draws; emitted after each step and each evaluation."""

    stage: str  # "prepare", "train", "evaluate", "save"
    message: str = ""
    done: int = 0
    total: int = 0
    epoch: float = 0.0
    eta_s: float | None = None
    loss: float | None = None
    history: list[EpochRecord] = field(default_factory=list)


class ProgressCallback(TrainerCallback):
    """Turns the Trainer's events into :class:`TrainProgress` and honours the cancel flag."""

    def __init__(self, emit: Callable[[TrainProgress], None], cancelled: Callable[[], bool]) -> None:
        self.emit = emit
        self.cancelled = cancelled
        self.history: list[EpochRecord] = []
        self.last_loss: float | None = None
        self.started = time.monotonic()

    def _emit(self, state, message: str = "", done: int | None = None) -> None:
        done = state.global_step if done is None else done
        elapsed = time.monotonic() - self.started
        eta = elapsed / done * (state.max_steps - done) if done else None
        self.emit(
            TrainProgress(
                "train", message, done, state.max_steps, state.epoch or 0.0, eta, self.last_loss, list(self.history)
            )
        )

    def on_train_begin(self, args, state, control, **kwargs):
        self.started = time.monotonic()
        self._emit(state, "training")

    def on_step_end(self, args, state, control, **kwargs):
        if self.cancelled():
            control.should_training_stop = True
        self._emit(state)

    def on_epoch_end(self, args, state, control, **kwargs):
        if self.cancelled():  # a cut-short epoch is neither evaluated nor kept
            control.should_evaluate = False
            control.should_save = False

    def on_log(self, args, state, control, logs=None, **kwargs):
        if logs and "loss" in logs:
            self.last_loss = float(logs["loss"])

    def on_evaluate(self, args, state, control, metrics=None, **kwargs):
        metrics = metrics or {}
        self.history.append(
            EpochRecord(
                round(state.epoch or 0),
                self.last_loss,
                float(metrics.get("eval_loss", float("nan"))),
                float(metrics.get("eval_accuracy", 0.0)),
                float(metrics.get("eval_macro_f1", 0.0)),
                state.global_step,
            )
        )
        self._emit(state, f"epoch {self.history[-1].epoch}: accuracy {self.history[-1].accuracy:.1%}")

    def on_train_end(self, args, state, control, **kwargs):
        """Stopped early, cancelled or complete: training is over, so the bar is full."""
        if state.global_step < state.max_steps:
            reason = "cancelled" if self.cancelled() else "stopped early: no better epoch in sight"
            self._emit(state, reason, done=state.max_steps)
