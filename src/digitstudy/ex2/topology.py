"""The assignment's CNN topology as plain arithmetic, checked before anything is built.

Taken literally (3x3 'valid' convolutions, 3x3 pooling with Keras' default stride = pool size)
the input shrinks 32 -> 30 -> 10 -> 8 -> 2 and the third convolution cannot fit. 'same'
padding on the convolutions gives 32 -> 10 -> 3 -> 1 and 49 features before the classifier.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..settings import FromConfig


class TopologyError(ValueError):
    pass


@dataclass(frozen=True)
class CnnSpec(FromConfig):
    """The CNN's topology: the config keys of section ex2 that shape it, and SVHN's input."""

    filters: tuple[int, ...]
    kernel_size: int
    pool_size: int
    padding: str  # of the convolutions
    pool_strides: int | None  # None: Keras' default, the pool size
    pool_padding: str
    input_shape: tuple[int, int, int] = (32, 32, 3)  # SVHN's crops, not a setting
    classes: int = 10


def _conv(size: int, kernel: int, padding: str) -> int:
    return size if padding == "same" else size - kernel + 1


def _pool(size: int, pool: int, stride: int, padding: str) -> int:
    return math.ceil(size / stride) if padding == "same" else (size - pool) // stride + 1


def shape_trace(spec: CnnSpec) -> list[dict]:
    """Layer by layer: name, output shape (without batch) and parameter count."""
    height, width, channels = spec.input_shape
    stride = spec.pool_strides or spec.pool_size
    rows = [{"layer": "input", "output_shape": (height, width, channels), "parameters": 0}]
    for index, filters in enumerate(spec.filters, start=1):
        height, width = (_conv(size, spec.kernel_size, spec.padding) for size in (height, width))
        if height < 1 or width < 1:
            raise TopologyError(
                f"conv_{index} has no output ({height}x{width}): the input shrank to nothing. "
                f"Change config keys ex2.padding (now {spec.padding!r}; allowed: same, valid), "
                f"ex2.kernel_size (now {spec.kernel_size}), ex2.pool_size (now {spec.pool_size}) "
                f"or ex2.pool_strides (now {spec.pool_strides})."
            )
        parameters = spec.kernel_size**2 * channels * filters + filters
        channels = filters
        rows.append({"layer": f"conv_{index}", "output_shape": (height, width, channels), "parameters": parameters})
        height, width = (_pool(size, spec.pool_size, stride, spec.pool_padding) for size in (height, width))
        if height < 1 or width < 1:
            raise TopologyError(
                f"pool_{index} has no output ({height}x{width}): the input shrank to nothing. "
                f"Change config keys ex2.padding (now {spec.padding!r}; allowed: same, valid), "
                f"ex2.pool_size (now {spec.pool_size}), ex2.pool_strides (now {spec.pool_strides}) "
                f"or ex2.pool_padding (now {spec.pool_padding!r}; allowed: valid, same)."
            )
        rows.append({"layer": f"pool_{index}", "output_shape": (height, width, channels), "parameters": 0})
    features = height * width * channels
    rows.append({"layer": "flatten", "output_shape": (features,), "parameters": 0})
    rows.append({"layer": "output", "output_shape": (spec.classes,), "parameters": (features + 1) * spec.classes})
    return rows


def parameter_count(spec: CnnSpec) -> int:
    return sum(row["parameters"] for row in shape_trace(spec))
