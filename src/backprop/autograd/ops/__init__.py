"""Primitive differentiable ops, one family per file, forward and backward side by side."""
