"""Containers of layers: ``Sequential``."""

from __future__ import annotations

from collections import OrderedDict

import numpy as np

from .module import Module, layer_config


class Sequential(Module):
    """Modules applied one after another; children are named ``0``, ``1``, ...

    Indexable (ints, negative ints, slices — a slice is a new Sequential sharing the
    layers), iterable, has ``len`` and ``append``.

    Examples
    --------
    >>> from backprop import nn
    >>> model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))
    >>> [name for name, _ in model.named_parameters()]
    ['0.weight', '0.bias', '2.weight', '2.bias']
    """

    def __init__(self, *modules):
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], OrderedDict):
            for name, module in modules[0].items():
                self.add_module(str(name), module)
            return
        for module in modules:
            self.append(module)

    def append(self, module: Module) -> "Sequential":
        if not isinstance(module, Module):
            raise TypeError(f"Sequential can only hold Modules, got {type(module).__name__}")
        self.add_module(str(len(self._modules)), module)
        return self

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def __getitem__(self, index):
        items = list(self._modules.items())
        if isinstance(index, slice):
            return Sequential(OrderedDict(items[index]))
        if not isinstance(index, (int, np.integer)):
            raise TypeError(f"Sequential indices must be integers or slices, got {type(index).__name__}")
        n = len(items)
        if not -n <= index < n:
            raise IndexError(f"index {index} is out of range for a Sequential of {n} modules")
        return items[index][1]

    def forward(self, x):
        for module in self._modules.values():
            x = module(x)
        return x

    def get_config(self) -> dict:
        return {"layers": [layer_config(module) for module in self]}

    @classmethod
    def from_config(cls, config: dict) -> "Sequential":
        from .registry import build_layer
        return cls(*[build_layer(c) for c in config["layers"]])
