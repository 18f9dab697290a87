"""Safe model files: one ``.safetensors`` or ``.npz`` file per model or checkpoint, never pickle.

``model.save(path)`` / :func:`load_model`
    Architecture (layer-registry JSON), parameters, buffers, dtypes and train/eval mode;
    the loaded model gives identical outputs.
:func:`save_checkpoint` / :func:`load_checkpoint`
    Model + optimizer + scheduler + any training state (epoch, history, rng states), for
    bit-identical resumed training.
:func:`save_state_dict` / :func:`load_state_dict`
    Weights only, for models the layer registry cannot rebuild.
:func:`load_metadata`
    The JSON document of a file without reading its arrays.
:func:`export_onnx`
    The model as an ONNX graph (optional ``onnx`` package), for onnxruntime and friends.

Container: ``.safetensors`` when the path says so (optional ``safetensors`` package),
``.npz`` when it says so (NumPy only); any other or no extension gives safetensors when
the package is installed, else npz.  Files are written atomically; reading never
unpickles or evaluates anything, and every damaged, foreign or unsafe file is a
:class:`ModelFileError` (a ``ValueError``) naming the file and the problem.
"""

from ._container import ModelFileError
from .checkpoint import Checkpoint, load_checkpoint, save_checkpoint
from .onnx_export import export_onnx
from .model import (FORMAT_VERSION, UnregisteredLayerError, load_metadata, load_model, load_state_dict, save_model,
                    save_state_dict)

__all__ = ["save_model", "load_model", "load_metadata", "save_checkpoint", "load_checkpoint", "Checkpoint",
           "save_state_dict", "load_state_dict", "ModelFileError", "UnregisteredLayerError", "FORMAT_VERSION",
           "export_onnx"]
