"""AdamW: Adam with weight decay decoupled from the gradient."""

from __future__ import annotations

from .adam import Adam

__all__ = ["AdamW"]


class AdamW(Adam):
    r"""AdamW (Loshchilov & Hutter, 2019), as ``torch.optim.AdamW``.

    Same arguments as :class:`Adam` except that ``weight_decay`` defaults to ``1e-2``
    and is *decoupled*: each step first shrinks the weights,
    :math:`\theta \leftarrow \theta\,(1 - \gamma\lambda)`, and the decay never enters
    the moment estimates. (With Adam's coupled L2 penalty the decay is divided by
    :math:`\sqrt{v}` like the gradient, so heavily-updated weights are barely decayed.)

    Parameters
    ----------
    params : iterable
        Parameters or parameter-group dicts (see :class:`Optimizer`).
    lr : float, default 1e-3
    betas : tuple of two floats, default (0.9, 0.999)
    eps : float, default 1e-8
    weight_decay : float, default 1e-2
    amsgrad : bool, default False
    maximize : bool, default False

    Notes
    -----
    The update is :func:`backprop.optim.adam_update` with
    ``decoupled_weight_decay=True``.
    """

    _decoupled_weight_decay = True

    def __init__(
        self,
        params,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        maximize: bool = False,
    ) -> None:
        # Only the default of weight_decay differs from Adam (and _decoupled_weight_decay).
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize)
