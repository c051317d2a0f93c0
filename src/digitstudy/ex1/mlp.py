"""The assignment's MLP: 784 -> depth x Dense(units, activation) -> Dense(10, softmax)."""

from __future__ import annotations

import keras

from .keras_activations import keras_activation


def build_mlp(depth: int, activation: str, units: int = 32, inputs: int = 784, classes: int = 10) -> keras.Model:
    """Keras' default initialisers (glorot_uniform kernels, zero biases), as in the assignment."""
    if depth < 1:
        raise ValueError(f"depth must be >= 1, got {depth}")
    layers = [keras.Input(shape=(inputs,), name="pixels")]
    for i in range(1, depth + 1):
        layers.append(keras.layers.Dense(units, activation=keras_activation(activation), name=f"hidden_{i:02d}"))
    layers.append(keras.layers.Dense(classes, activation="softmax", name="output"))
    return keras.Sequential(layers, name=f"mlp_{activation}_d{depth}")


def dense_layers(model: keras.Model) -> list:
    """Hidden layers in order from the input, then the output layer (layer 1 .. depth + 1)."""
    return [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]
