"""Neural-network building blocks: Module, Parameter, Sequential, layers, activations, init."""

from . import init
from .activations import (ACTIVATIONS, ELU, GELU, LeakyReLU, LogSoftmax, ReLU, Sigmoid, Softmax, Softplus, Tanh,
                          get_activation)
from . import functional
from .init import get_initializer
from .losses import (LOSSES, BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, HuberLoss, L1Loss, MSELoss, NLLLoss,
                     SmoothL1Loss, get_loss)
from .layers import Dense, Dropout, Flatten, Identity, Linear, Residual
from .containers import Sequential
from .conv import Conv1d, Conv2d
from .embedding import Embedding
from .recurrent import GRU, LSTM, RNN
from .pooling import AvgPool1d, AvgPool2d, GlobalAvgPool, MaxPool1d, MaxPool2d
from .module import Module, Parameter, RemovableHandle, layer_config
from .normalization import BatchNorm1d, BatchNorm2d
from .registry import LAYERS, build_layer, register_layer
from .regularization import l1_penalty, l2_penalty

__all__ = ["Module", "Parameter", "RemovableHandle", "Sequential", "layer_config",
           "Linear", "Dense", "Conv1d", "Conv2d", "MaxPool1d", "MaxPool2d", "AvgPool1d", "AvgPool2d",
           "GlobalAvgPool", "RNN", "GRU", "LSTM", "Embedding", "Dropout", "Residual", "Flatten", "Identity", "BatchNorm1d", "BatchNorm2d",
           "Sigmoid", "Tanh", "ReLU", "LeakyReLU", "ELU", "GELU", "Softplus", "Softmax", "LogSoftmax",
           "ACTIVATIONS", "get_activation", "init", "get_initializer",
           "MSELoss", "L1Loss", "HuberLoss", "SmoothL1Loss", "BCELoss", "BCEWithLogitsLoss",
           "CrossEntropyLoss", "NLLLoss", "LOSSES", "get_loss", "functional",
           "LAYERS", "build_layer", "register_layer", "l2_penalty", "l1_penalty"]
