"""The assignment's MLP: 784 -> depth x Dense(units, activation) -> Dense(10, softmax)."""

from __future__ import annotations

import keras

from .keras_activations import keras_activation


def build_mlp(
    depth: int,
    activation: str,
    units: int = 32,
    inputs: int = 784,
    classes: int = 10,
    kernel_initializer: str = "glorot_uniform",
) -> keras.Model:
    """Kernels from `kernel_initializer` (Keras' default glorot_uniform is the assignment's), zero biases."""
    if depth < 1:
        raise ValueError(f"depth must be >= 1, got {depth}")
    layers = [keras.Input(shape=(inputs,), name="pixels")]
    for i in range(1, depth + 1):
        layers.append(
            keras.layers.Dense(
                units,
                activation=keras_activation(activation),
                kernel_initializer=kernel_initializer,
                name=f"hidden_{i:02d}",
            )
        )
    output = keras.layers.Dense(classes, activation="softmax", kernel_initializer=kernel_initializer, name="output")
    layers.append(output)
    return keras.Sequential(layers, name=f"mlp_{activation}_d{depth}")


def dense_layers(model: keras.Model) -> list:
    """Hidden layers in order from the input, then the output layer (layer 1 .. depth + 1)."""
    return [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]
