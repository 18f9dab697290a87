"""Checkpoint and resume for :func:`~backprop.train.fit`: what a run saves, and how it continues.

:mod:`backprop.train.checkpoint` writes and reads the files (crash-safe, complete or
absent); this module decides what goes in them and puts it back.  A checkpoint holds the
model, optimizer, scheduler and callback states, the history, every random generator
(the shuffling rng and each module's own, e.g. Dropout's, found by
:func:`backprop.train.guard.module_generators`) and the run's settings, so a resumed run
is bit-identical to an uninterrupted one.
"""

from __future__ import annotations

import os

import numpy as np

from .checkpoint import load_checkpoint, remove_stale_temp_files, save_checkpoint
from .history import History

__all__ = ["open_run", "restore_run", "prepare_checkpoint_dir", "save_run"]


def open_run(checkpoint_dir, resume, seed, where="fit"):
    """The checkpoint to continue from (None: a fresh run) and the run's seed entropy.

    Raises
    ------
    ValueError
        If ``seed`` is given and differs from the checkpointed run's.
    """
    checkpoint = load_checkpoint(checkpoint_dir) if resume else None
    if checkpoint is not None:
        entropy = checkpoint["run"]["entropy"]
        if seed is not None and seed != entropy:
            raise ValueError(f"{where}: seed={seed} differs from the seed of the checkpointed run ({entropy}); "
                             "pass the same seed (or none) to resume")
    else:
        entropy = int(seed) if seed is not None else int(np.random.SeedSequence().entropy)
    return checkpoint, entropy


def restore_run(checkpoint, trainer, shuffle_rng, generators, n_samples, batch_size, checkpoint_dir,
                where="fit") -> int:
    """Load ``checkpoint`` into the trainer's model, optimizer, scheduler and history, and into the
    generators; return the epoch to start from.  Callback states are loaded separately (after
    ``on_train_begin``).

    Raises
    ------
    ValueError
        If the checkpoint was made with other data or another ``batch_size``.
    """
    run = checkpoint["run"]
    if run["n_samples"] != n_samples or run["batch_size"] != batch_size:
        raise ValueError(f"{where}: the checkpoint in {checkpoint_dir} was made with {run['n_samples']} training "
                         f"samples and batch_size={run['batch_size']}, this call has {n_samples} and "
                         f"{batch_size}; resume with the same data and settings")
    trainer.model.load_state_dict(checkpoint["model"])
    trainer.optimizer.load_state_dict(checkpoint["optimizer"])
    if trainer.scheduler is not None and checkpoint.get("scheduler") is not None:
        trainer.scheduler.load_state_dict(checkpoint["scheduler"])
    shuffle_rng.bit_generator.state = checkpoint["rng"]["shuffle"]
    for key, state in checkpoint["rng"]["modules"].items():
        if key in generators:
            generators[key].bit_generator.state = state
    restored = History.from_dict(checkpoint["history"])
    trainer.history.history, trainer.history.epoch = restored.history, restored.epoch
    trainer.global_step = int(run["global_step"])
    start_epoch = int(checkpoint["epochs_done"])
    trainer.resumed = True
    if run.get("stop_training"):
        trainer.stop(run.get("stop_reason") or "callback", run.get("stop_message"))
    return start_epoch


def prepare_checkpoint_dir(checkpoint_dir) -> None:
    """Create the directory if needed and remove what an interrupted save left behind."""
    os.makedirs(checkpoint_dir, exist_ok=True)
    remove_stale_temp_files(checkpoint_dir)


def save_run(dirpath, keep, epochs_done, trainer, callback_list, shuffle_rng, generators, entropy, n_samples,
             batch_size):
    """Write a complete checkpoint of the run after ``epochs_done`` epochs, keeping ``keep`` on disk."""
    state = {
        "model": trainer.model.state_dict(),
        "optimizer": trainer.optimizer.state_dict(),
        "scheduler": trainer.scheduler.state_dict() if trainer.scheduler is not None else None,
        "callbacks": callback_list.state_dict(),
        "history": trainer.history.to_dict(),
        "rng": {"shuffle": shuffle_rng.bit_generator.state,
                "modules": {k: g.bit_generator.state for k, g in generators.items()}},
        "run": {"global_step": trainer.global_step, "entropy": entropy, "n_samples": n_samples,
                "batch_size": batch_size, "stop_training": trainer.stop_training,
                "stop_reason": trainer.stop_reason, "stop_message": trainer.stop_message},
    }
    save_checkpoint(dirpath, epochs_done, state, keep=keep)
