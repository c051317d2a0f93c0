"""Per-layer gradients of the loss on a fixed mini-batch, without an optimizer step.

The assignment's snippet (model.optimizer.get_gradients) is Keras 2 internals; here one backward
pass of the backend in use (tf.GradientTape, jax.grad of a stateless call, or torch's autograd) gives dL/dW and dL/db
of every Dense layer. max |g| per layer shows vanishing gradients; signed max and mean |g| are kept.
"""

from __future__ import annotations

import keras
import numpy as np

from .mlp import dense_layers

COLUMNS = ["epoch", "layer", "param", "max_abs", "max", "mean_abs"]


def layer_gradients(model: keras.Model, x: np.ndarray, y_onehot: np.ndarray) -> dict[tuple[int, str], np.ndarray]:
    """{(layer index from 1, "kernel"|"bias"): gradient} of the mean categorical cross-entropy."""
    layers = dense_layers(model)
    loss_fn = keras.losses.CategoricalCrossentropy()
    backward = {"tensorflow": _tensorflow_gradients, "jax": _jax_gradients, "torch": _torch_gradients}[
        keras.backend.backend()
    ]
    grads = backward(model, [v for layer in layers for v in (layer.kernel, layer.bias)], loss_fn, x, y_onehot)
    keys = [(index, param) for index in range(1, len(layers) + 1) for param in ("kernel", "bias")]
    return {key: keras.ops.convert_to_numpy(grad) for key, grad in zip(keys, grads)}


def _tensorflow_gradients(model, variables, loss_fn, x, y):
    import tensorflow as tf

    with tf.GradientTape() as tape:
        loss = loss_fn(tf.convert_to_tensor(y), model(tf.convert_to_tensor(x), training=True))
    return tape.gradient(loss, variables)


def _jax_gradients(model, variables, loss_fn, x, y):
    import jax

    trainable = [v.value for v in model.trainable_variables]
    frozen = [v.value for v in model.non_trainable_variables]

    def loss(values):
        predicted, _ = model.stateless_call(values, frozen, x, training=True)
        return loss_fn(y, predicted)

    by_path = {v.path: g for v, g in zip(model.trainable_variables, jax.grad(loss)(trainable))}
    return [by_path[v.path] for v in variables]


def _torch_gradients(model, variables, loss_fn, x, y):
    import torch

    loss = loss_fn(keras.ops.convert_to_tensor(y), model(keras.ops.convert_to_tensor(x), training=True))
    return torch.autograd.grad(loss, [v.value for v in variables])


def summarise(gradients: dict[tuple[int, str], np.ndarray], epoch: int) -> list[dict]:
    return [
        {
            "epoch": epoch,
            "layer": layer,
            "param": param,
            "max_abs": float(np.max(np.abs(g))),
            "max": float(np.max(g)),
            "mean_abs": float(np.mean(np.abs(g))),
        }
        for (layer, param), g in sorted(gradients.items())
    ]


class GradientRecorder(keras.callbacks.Callback):
    """Records gradient summaries at initialisation (epoch 0) and after the listed epochs."""

    def __init__(self, x: np.ndarray, y_onehot: np.ndarray, epochs: list[int]):
        super().__init__()
        self.x, self.y, self.epochs = x, y_onehot, set(epochs)
        self.rows: list[dict] = []

    def _record(self, epoch: int) -> None:
        if epoch in self.epochs:
            self.rows.extend(summarise(layer_gradients(self.model, self.x, self.y), epoch))

    def on_train_begin(self, logs=None):
        self._record(0)

    def on_epoch_end(self, epoch, logs=None):
        self._record(epoch + 1)
