"""The SVHN CNN in Keras, built from a checked CnnSpec."""

from __future__ import annotations

import keras
from keras import layers

from .topology import CnnSpec, shape_trace


def build_cnn(spec: CnnSpec, activation: str = "relu") -> keras.Model:
    shape_trace(spec)  # raises TopologyError, naming the config keys, before Keras does
    stack = [keras.Input(shape=spec.input_shape, name="image")]
    for index, filters in enumerate(spec.filters, start=1):
        stack += [
            layers.Conv2D(filters, spec.kernel_size, padding=spec.padding, activation=activation, name=f"conv_{index}"),
            layers.MaxPooling2D(spec.pool_size, spec.pool_strides, spec.pool_padding, name=f"pool_{index}"),
        ]
    stack += [layers.Flatten(name="flatten"), layers.Dense(spec.classes, activation="softmax", name="output")]
    return keras.Sequential(stack, name="svhn_cnn")


def conv_layer_names(model: keras.Model) -> list[str]:
    return [layer.name for layer in model.layers if isinstance(layer, layers.Conv2D)]
