"""Fast paths that compute exactly what the autograd engine would, with less overhead."""

from .sequential import CompiledStep, compile_step, make_train_step

__all__ = ["CompiledStep", "compile_step", "make_train_step"]
