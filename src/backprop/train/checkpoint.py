"""Training checkpoints for exact resume, safe against a crash at any instant.

Layout of ``checkpoint_dir``::

    epoch-000003.npz     every array: model state, optimizer state, callback arrays
    epoch-000003.json    everything else: epoch, history, rng states, scheduler, ...
    checkpoint.json      the manifest: names the latest *complete* pair and their SHA-256

Write order (:func:`save_checkpoint`): the ``.npz``, then the ``.json``, each atomically
(temp file in the same directory, fsync, ``os.replace``); the manifest last, also
atomically.  Only after the new manifest is in place are older pairs deleted, so the
previous complete checkpoint survives until the new one is complete.  A crash at any
point leaves the manifest naming a pair that was fully written before it: a loadable
checkpoint is always a consistent one.  :func:`load_checkpoint` follows the manifest
and checks both files' hashes, so a damaged file is an error, never a silent mix.

No pickle: arrays are read with ``allow_pickle=False``, the rest is JSON.
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
import re

from .storage import atomic_save_npz, atomic_write_json, load_npz, merge_arrays, split_arrays

__all__ = ["save_checkpoint", "load_checkpoint", "latest_epoch", "MANIFEST", "CheckpointError"]

MANIFEST = "checkpoint.json"
FORMAT = "backprop-training-checkpoint"
VERSION = 1
_PAIR = re.compile(r"^epoch-(\d+)\.(npz|json)$")


class CheckpointError(RuntimeError):
    """A checkpoint directory that cannot be read (damaged file, wrong format)."""


def _sha256(path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def save_checkpoint(dirpath, epochs_done: int, state: dict, keep: int = 2) -> str:
    """Write ``state`` (nested dicts/lists/numbers/ndarrays) as the checkpoint after ``epochs_done`` epochs.

    Parameters
    ----------
    dirpath : path
        Created if missing.
    epochs_done : int
        Number of finished epochs; names the files.
    state : dict
        Top-level keys become array-name prefixes in the ``.npz``.
    keep : int
        Complete checkpoints kept (the new one included); at least 1.

    Returns
    -------
    str
        Path of the manifest.
    """
    os.makedirs(dirpath, exist_ok=True)
    arrays: dict = {}
    meta = {key: split_arrays(value, key, arrays) for key, value in state.items()}
    stem = f"epoch-{epochs_done:06d}"
    npz_path = os.path.join(dirpath, stem + ".npz")
    json_path = os.path.join(dirpath, stem + ".json")
    # One directory fsync (after the .json) makes both data renames durable before the
    # manifest is renamed, so the manifest can never become durable without them.
    atomic_save_npz(npz_path, arrays, sync_directory=False)
    atomic_write_json(json_path, {"format": FORMAT, "version": VERSION, "epochs_done": epochs_done, "state": meta})
    manifest = {"format": FORMAT, "version": VERSION, "epochs_done": epochs_done,
                "arrays": stem + ".npz", "state": stem + ".json",
                "sha256": {stem + ".npz": _sha256(npz_path), stem + ".json": _sha256(json_path)}}
    manifest_path = os.path.join(dirpath, MANIFEST)
    atomic_write_json(manifest_path, manifest)
    _prune(dirpath, epochs_done, max(1, int(keep)))
    return manifest_path


def _prune(dirpath, current: int, keep: int) -> None:
    """Delete pairs older than the ``keep`` newest (the current one is never deleted) and stale temp files."""
    epochs = sorted({int(m.group(1)) for name in os.listdir(dirpath) if (m := _PAIR.match(name))})
    keep_set = {e for e in epochs if e <= current}
    keep_set = set(sorted(keep_set)[-keep:]) | {current}
    for epoch in epochs:
        if epoch not in keep_set:
            for ext in ("npz", "json"):
                try:
                    os.unlink(os.path.join(dirpath, f"epoch-{epoch:06d}.{ext}"))
                except FileNotFoundError:
                    pass


def remove_stale_temp_files(dirpath) -> None:
    """Remove temp files left by a writer that was killed mid-write (call before training)."""
    for path in glob.glob(os.path.join(glob.escape(os.fspath(dirpath)), ".tmp-*")):
        try:
            os.unlink(path)
        except OSError:
            pass


def latest_epoch(dirpath) -> int | None:
    """Number of finished epochs in the latest complete checkpoint, or None if there is none."""
    path = os.path.join(dirpath, MANIFEST)
    if not os.path.exists(path):
        return None
    with open(path, encoding="utf-8") as f:
        return int(json.load(f)["epochs_done"])


def load_checkpoint(dirpath, verify: bool = True) -> dict | None:
    """Load the latest complete checkpoint of ``dirpath``; None when there is none yet.

    Returns
    -------
    dict or None
        ``{"epochs_done": int, **state}`` where ``state`` is what :func:`fit` saved:
        ``model`` (state dict), ``optimizer``, ``scheduler``, ``callbacks``, ``history``,
        ``rng`` (generator states) and ``run`` (settings and counters).

    Raises
    ------
    CheckpointError
        If the manifest names files that are missing, damaged (hash mismatch) or of
        another format.
    """
    manifest_path = os.path.join(dirpath, MANIFEST)
    if not os.path.exists(manifest_path):
        return None
    try:
        with open(manifest_path, encoding="utf-8") as f:
            manifest = json.load(f)
    except (OSError, ValueError) as exc:
        raise CheckpointError(f"load_checkpoint: cannot read {manifest_path}: {exc}") from exc
    if manifest.get("format") != FORMAT:
        raise CheckpointError(f"load_checkpoint: {manifest_path} is not a backprop training checkpoint")
    npz_path = os.path.join(dirpath, manifest["arrays"])
    json_path = os.path.join(dirpath, manifest["state"])
    for path in (npz_path, json_path):
        if not os.path.exists(path):
            raise CheckpointError(f"load_checkpoint: {path}, named by {manifest_path}, is missing")
        if verify and _sha256(path) != manifest["sha256"][os.path.basename(path)]:
            raise CheckpointError(f"load_checkpoint: {path} does not match the hash in {manifest_path} "
                                  "(the file was changed or damaged after it was written)")
    with open(json_path, encoding="utf-8") as f:
        meta = json.load(f)
    arrays = load_npz(npz_path)
    state = {key: merge_arrays(value, arrays) for key, value in meta["state"].items()}
    state["epochs_done"] = int(manifest["epochs_done"])
    return state
