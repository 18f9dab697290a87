"""Looking inside: gradient checking, gradient-flow monitoring, diagnosis, graph drawing."""

from .gradcheck import GradcheckError, gradcheck

__all__ = ["gradcheck", "GradcheckError"]
