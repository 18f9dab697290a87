"""``Module``, ``Parameter`` and ``Sequential``: the containers that hold a network's state.

A :class:`Module` owns three kinds of state, each registered by plain attribute
assignment (``self.weight = Parameter(...)``, ``self.block = Linear(...)``) or by
:meth:`Module.register_buffer`:

* **parameters** — :class:`Parameter` tensors the optimizer updates;
* **sub-modules** — other modules, whose state is reached recursively;
* **buffers** — plain ndarrays that are state but not trained (BatchNorm's running
  statistics).

Traversal order is deterministic: registration order, depth first, a module's own
parameters before its children's.  Names are dotted like PyTorch's (``0.weight``,
``1.running_mean``), so a state dict moves between the two libraries key for key.
"""

from __future__ import annotations

import itertools
from collections import OrderedDict

import numpy as np

from ..autograd.tensor import Tensor


class Parameter(Tensor):
    """A leaf :class:`Tensor` that a :class:`Module` registers as trainable state.

    Parameters
    ----------
    data : array_like
        Initial value. Arrays keep their dtype; Python numbers and lists become float32.
    requires_grad : bool
        True by default; set False to freeze the parameter.
    """

    def __init__(self, data, requires_grad: bool = True, dtype=None, name: str | None = None):
        super().__init__(data, requires_grad=requires_grad, dtype=dtype, name=name)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()

    def __reduce__(self):  # copy/deepcopy: __slots__ plus __dict__ need an explicit recipe
        return (_rebuild_parameter, (self.data.copy(), self.requires_grad, self.name))


def _rebuild_parameter(data, requires_grad, name):
    return Parameter(data, requires_grad=requires_grad, name=name)


class RemovableHandle:
    """Returned by ``register_forward_hook``; ``handle.remove()`` unregisters the hook."""

    _ids = itertools.count()

    def __init__(self, hooks: dict):
        self._hooks = hooks
        self.id = next(RemovableHandle._ids)

    def remove(self) -> None:
        self._hooks.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.remove()


def _as_array(value) -> np.ndarray:
    """Anything array-like (ndarray, list, Tensor, torch tensor) as an ndarray."""
    if isinstance(value, Tensor):
        return value.data
    if hasattr(value, "detach") and hasattr(value, "cpu") and hasattr(value, "numpy"):
        value = value.detach().cpu().numpy()  # a torch tensor that requires grad
    return np.asarray(value)


class Module:
    """Base class of every layer and network.

    Subclasses call ``super().__init__()`` first, assign parameters, sub-modules and
    buffers as attributes, and implement ``forward``.  Call the module (``model(x)``), not
    ``forward``, so that forward hooks run.

    Attributes
    ----------
    training : bool
        True in training mode (the default), False after :meth:`eval`.  Dropout and
        BatchNorm behave differently in the two modes.
    """

    def __init__(self):
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "_forward_hooks", OrderedDict())
        object.__setattr__(self, "training", True)

    # ------------------------------------------------------------------ registration
    def _check_initialized(self) -> None:
        if "_parameters" not in self.__dict__:
            raise AttributeError(
                f"{type(self).__name__}.__init__ must call super().__init__() before assigning "
                "parameters, sub-modules or buffers")

    def __setattr__(self, name: str, value) -> None:
        params = self.__dict__.get("_parameters")
        if isinstance(value, Parameter):
            self._check_initialized()
            self._remove_from(name, keep="_parameters")
            params[name] = value
        elif isinstance(value, Module):
            self._check_initialized()
            self._remove_from(name, keep="_modules")
            self._modules[name] = value
        elif params is not None and name in params:
            if value is not None:
                raise TypeError(
                    f"cannot assign {type(value).__name__} to parameter '{name}' of "
                    f"{type(self).__name__}: use a Parameter or None (or change .data in place)")
            params[name] = None
        elif params is not None and name in self._modules:
            if value is not None:
                raise TypeError(f"cannot assign {type(value).__name__} to sub-module '{name}': use a Module or None")
            self._modules[name] = None
        elif params is not None and name in self._buffers:
            self._buffers[name] = None if value is None else _as_array(value)
        else:
            object.__setattr__(self, name, value)

    def _remove_from(self, name: str, keep: str) -> None:
        for store in ("_parameters", "_modules", "_buffers"):
            if store != keep:
                self.__dict__[store].pop(name, None)
        self.__dict__.pop(name, None)

    def __getattr__(self, name: str):
        # Only called when normal lookup fails: look in the registries.
        d = self.__dict__
        for store in ("_parameters", "_buffers", "_modules"):
            if store in d and name in d[store]:
                return d[store][name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name: str) -> None:
        for store in ("_parameters", "_buffers", "_modules"):
            if name in self.__dict__.get(store, ()):
                del self.__dict__[store][name]
                return
        object.__delattr__(self, name)

    def __dir__(self):
        return sorted(set(super().__dir__()) | set(self._parameters) | set(self._buffers) | set(self._modules))

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Register ``param`` (a :class:`Parameter` or None) under ``name``."""
        self._check_initialized()
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"register_parameter('{name}', ...) needs a Parameter or None, got {type(param).__name__}")
        self._remove_from(name, keep="_parameters")
        self._parameters[name] = param

    def register_buffer(self, name: str, array) -> None:
        """Register non-trainable state (e.g. running statistics) saved in ``state_dict``.

        ``array`` is stored as an ndarray (or None); later assignments ``self.name = value``
        replace it.
        """
        self._check_initialized()
        if "." in name or not name:
            raise KeyError(f"buffer name must be a non-empty string without '.', got {name!r}")
        self._remove_from(name, keep="_buffers")
        self._buffers[name] = None if array is None else _as_array(array)

    def add_module(self, name: str, module: "Module | None") -> None:
        """Register ``module`` as a child called ``name``."""
        self._check_initialized()
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"add_module('{name}', ...) needs a Module, got {type(module).__name__}")
        self._remove_from(name, keep="_modules")
        self._modules[name] = module

    # ------------------------------------------------------------------ traversal
    def named_modules(self, prefix: str = "", _memo=None):
        """Yield ``(dotted_name, module)`` for this module (name ``""``) and all descendants."""
        memo = set() if _memo is None else _memo
        if id(self) in memo:
            return
        memo.add(id(self))
        yield prefix, self
        for name, child in self._modules.items():
            if child is not None:
                yield from child.named_modules(f"{prefix}.{name}" if prefix else name, memo)

    def modules(self):
        """Yield this module and all its descendants, depth first."""
        for _, module in self.named_modules():
            yield module

    def named_children(self):
        for name, child in self._modules.items():
            if child is not None:
                yield name, child

    def children(self):
        """Yield the direct sub-modules in registration order."""
        for _, child in self.named_children():
            yield child

    def named_parameters(self, prefix: str = "", recurse: bool = True):
        """Yield ``(dotted_name, Parameter)``; a parameter shared by two modules appears once."""
        seen = set()
        modules = self.named_modules(prefix) if recurse else [(prefix, self)]
        for module_prefix, module in modules:
            for name, param in module._parameters.items():
                if param is None or id(param) in seen:
                    continue
                seen.add(id(param))
                yield (f"{module_prefix}.{name}" if module_prefix else name), param

    def parameters(self, recurse: bool = True):
        """Yield every Parameter: registration order, depth first, own before children's."""
        for _, param in self.named_parameters(recurse=recurse):
            yield param

    def named_buffers(self, prefix: str = "", recurse: bool = True):
        """Yield ``(dotted_name, ndarray)`` for every registered buffer."""
        modules = self.named_modules(prefix) if recurse else [(prefix, self)]
        for module_prefix, module in modules:
            for name, buf in module._buffers.items():
                if buf is not None:
                    yield (f"{module_prefix}.{name}" if module_prefix else name), buf

    def buffers(self, recurse: bool = True):
        for _, buf in self.named_buffers(recurse=recurse):
            yield buf

    def num_parameters(self, trainable_only: bool = False) -> int:
        """Total number of scalar parameters (only those with requires_grad if asked)."""
        return int(sum(p.size for p in self.parameters() if p.requires_grad or not trainable_only))

    # ------------------------------------------------------------------ state dict
    def state_dict(self) -> "OrderedDict[str, np.ndarray]":
        """Parameters and buffers as an ordered dict ``dotted_name -> ndarray copy``.

        The order and names are PyTorch's: for each module (depth first) its parameters,
        then its buffers, then its children's entries.
        """
        state = OrderedDict()
        for module_prefix, module in self.named_modules():
            dot = f"{module_prefix}." if module_prefix else ""
            for name, param in module._parameters.items():
                if param is not None:
                    state[dot + name] = param.data.copy()
            for name, buf in module._buffers.items():
                if buf is not None:
                    state[dot + name] = np.array(buf, copy=True)
        return state

    def _state_targets(self):
        """``name -> (owner module, attribute, kind)`` for every entry of the state dict."""
        targets = OrderedDict()
        for module_prefix, module in self.named_modules():
            dot = f"{module_prefix}." if module_prefix else ""
            for name, param in module._parameters.items():
                if param is not None:
                    targets[dot + name] = (module, name, "parameter")
            for name, buf in module._buffers.items():
                if buf is not None:
                    targets[dot + name] = (module, name, "buffer")
        return targets

    def load_state_dict(self, state, strict: bool = True):
        """Copy values from ``state`` (name -> array-like) into this module's arrays in place.

        Values may be ndarrays, lists, Tensors or torch tensors; they are converted to the
        existing array's dtype, so a float32 model stays float32.  Every key and shape is
        checked before anything is written, so a failed load leaves the module unchanged.

        Parameters
        ----------
        state : mapping
        strict : bool
            If True, missing and unexpected keys are errors; if False they are skipped.
            Shape mismatches are always errors.

        Returns
        -------
        tuple of (list, list)
            ``(missing_keys, unexpected_keys)``.

        Raises
        ------
        KeyError
            Missing or unexpected keys (strict) — the message lists them all.
        ValueError
            A value whose shape differs from the module's array; the message names the key.
        """
        targets = self._state_targets()
        missing = [k for k in targets if k not in state]
        unexpected = [k for k in state if k not in targets]
        values, mismatched = {}, []
        for key, (module, name, kind) in targets.items():
            if key not in state:
                continue
            value = _as_array(state[key])
            current = module._parameters[name].data if kind == "parameter" else module._buffers[name]
            if value.shape != current.shape:
                mismatched.append(f"{key}: expected shape {current.shape}, got {value.shape}")
            values[key] = value
        problems = []
        if strict and missing:
            problems.append(f"missing keys: {', '.join(missing)}")
        if strict and unexpected:
            problems.append(f"unexpected keys: {', '.join(unexpected)}")
        if mismatched:
            problems.append(f"shape mismatches: {'; '.join(mismatched)}")
        if problems:
            message = f"error loading state dict into {type(self).__name__}: " + " | ".join(problems)
            if mismatched:
                raise ValueError(message)
            raise KeyError(message)
        for key, value in values.items():
            module, name, kind = targets[key]
            current = module._parameters[name].data if kind == "parameter" else module._buffers[name]
            current[...] = value.astype(current.dtype, copy=False)
        return missing, unexpected

    # ------------------------------------------------------------------ modes, grads, dtype
    def train(self, mode: bool = True) -> "Module":
        """Set training mode (``mode=True``) or evaluation mode on this module and all descendants."""
        for module in self.modules():
            object.__setattr__(module, "training", bool(mode))
        return self

    def eval(self) -> "Module":
        """Evaluation mode: Dropout is the identity, BatchNorm uses its running statistics."""
        return self.train(False)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear every parameter's gradient (to None by default, else to zeros in place)."""
        for param in self.parameters():
            if set_to_none or param.grad is None:
                param.grad = None
            else:
                param.grad[...] = 0

    def requires_grad_(self, requires_grad: bool = True) -> "Module":
        for param in self.parameters():
            param.requires_grad_(requires_grad)
        return self

    def to(self, dtype) -> "Module":
        """Convert every parameter (and its gradient) and every float buffer to ``dtype``.

        Parameters stay the same objects (optimizers keep their references); their
        ``.data`` is replaced.  Integer buffers (``num_batches_tracked``) are unchanged.
        """
        dtype = np.dtype(dtype)
        if dtype.kind != "f":
            raise TypeError(f"Module.to() needs a floating-point dtype, got {dtype}")
        for module in self.modules():
            for param in module._parameters.values():
                if param is not None:
                    param.data = param.data.astype(dtype)
                    if param.grad is not None:
                        param.grad = param.grad.astype(dtype)
            for name, buf in module._buffers.items():
                if buf is not None and buf.dtype.kind == "f":
                    module._buffers[name] = buf.astype(dtype)
            if "dtype" in module.__dict__:
                object.__setattr__(module, "dtype", dtype)
        return self

    def float(self) -> "Module":
        return self.to(np.float32)

    def double(self) -> "Module":
        return self.to(np.float64)

    # ------------------------------------------------------------------ calling
    def forward(self, *args, **kwargs):  # pragma: no cover - abstract
        raise NotImplementedError(f"{type(self).__name__} must implement forward()")

    def __call__(self, *args, **kwargs):
        output = self.forward(*args, **kwargs)
        for hook in list(self._forward_hooks.values()):
            result = hook(self, args, output)
            if result is not None:
                output = result
        return output

    def register_forward_hook(self, hook) -> RemovableHandle:
        """Call ``hook(module, inputs, output)`` after every forward pass.

        ``inputs`` is the tuple of positional arguments.  A hook that returns a value
        replaces the output.  Returns a handle whose ``remove()`` unregisters the hook.
        """
        handle = RemovableHandle(self._forward_hooks)
        self._forward_hooks[handle.id] = hook
        return handle

    # ------------------------------------------------------------------ saving
    def save(self, path, **metadata) -> str:
        """Save architecture, weights, buffers and train/eval mode to ONE safe file.

        ``.safetensors`` (optional ``safetensors`` package) or ``.npz`` (NumPy only); any
        other or no extension gives safetensors when installed, else npz.  Keywords
        ``format``, ``training_config`` and ``seed`` are recorded as such, any other
        JSON-able keyword as user metadata.  Load with ``backprop.io.load_model(path)``.
        See :func:`backprop.io.save_model`.
        """
        from ..io.model import save_model  # imported here: io imports nn
        return save_model(self, path, **metadata)

    # ------------------------------------------------------------------ description
    def get_config(self) -> dict:
        """JSON-able constructor arguments; ``type(self)(**config)`` rebuilds the layer."""
        return {}

    def extra_repr(self) -> str:
        """The text inside the parentheses of this module's repr (override in layers)."""
        return ""

    def __repr__(self) -> str:
        lines = []
        for name, child in self._modules.items():
            child_repr = repr(child).replace("\n", "\n  ")
            lines.append(f"({name}): {child_repr}")
        extra = self.extra_repr()
        if not lines:
            return f"{type(self).__name__}({extra})"
        body = "\n  ".join(([extra] if extra else []) + lines)
        return f"{type(self).__name__}(\n  {body}\n)"

    def summary(self, input_shape, dtype=np.float32, batch_size: int = 1, print_fn=print) -> str:
        """Print and return a table of layers, output shapes and parameter counts.

        A forward pass on zeros of shape ``(batch_size, *input_shape)`` is run under
        ``no_grad`` in eval mode to find the output shapes (the previous mode is restored).

        Parameters
        ----------
        input_shape : tuple of int
            Shape of one sample, without the batch axis (e.g. ``(64,)`` for an MLP).
        dtype : dtype
            dtype of the zeros fed through the model.
        batch_size : int
            Batch size of the probe; shown as ``None`` in the table.
        print_fn : callable or None
            Called with the table; pass None to only return it.
        """
        from .summary import summarize
        return summarize(self, input_shape, dtype=dtype, batch_size=batch_size, print_fn=print_fn)



def layer_config(module: Module) -> dict:
    """``{"class": name, "config": get_config()}`` — the JSON form that ``build_layer`` reads."""
    return {"class": type(module).__name__, "config": module.get_config()}


def __getattr__(name):
    # Sequential lives in containers.py (this file holds the base class); DESIGN.md places it
    # here, so ``from backprop.nn.module import Sequential`` works too (lazily: no import cycle).
    if name == "Sequential":
        from .containers import Sequential
        return Sequential
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
