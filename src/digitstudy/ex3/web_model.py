"""The recogniser as data for the report's draw-a-digit canvas (report/templates/recogniser.js).

The model becomes a small tree of operations with float16 weights (half the size of float32;
the probabilities move by about 3e-4 at most). Only what the JavaScript implements is exported;
a model with any other layer raises Unsupported, and the report leaves the canvas out with a note.
"""

from __future__ import annotations

import base64

import numpy as np

ACTIVATIONS = {"linear", "relu", "softmax", "sigmoid", "tanh"}


class Unsupported(ValueError):
    """The model uses a layer or setting the report's JavaScript does not implement."""


def _weight(array) -> dict:
    array = np.asarray(array, np.float32)
    return {"shape": list(array.shape), "f16": base64.b64encode(array.astype("<f2").tobytes()).decode("ascii")}


def _activation(layer) -> str:
    name = getattr(layer.activation, "__name__", str(layer.activation))
    if name not in ACTIVATIONS:
        raise Unsupported(f"layer {layer.name}: activation {name!r}")
    return name


def _weighted(layer, op: str, **extra) -> dict:
    """A convolution or dense layer: kernel, optional bias and activation."""
    weights = layer.get_weights()
    return {
        "op": op,
        **extra,
        "kernel": _weight(weights[0]),
        "bias": _weight(weights[1]) if layer.use_bias else None,
        "activation": _activation(layer),
    }


def _layer(layer) -> dict:
    import keras

    kind = type(layer).__name__
    if isinstance(layer, (keras.Sequential, keras.Model)):
        return _model(layer)
    if kind in ("InputLayer", "Dropout", "Flatten", "GaussianNoise", "GaussianDropout", "SpatialDropout2D"):
        return {"op": "identity"}  # at prediction time (Flatten: the HWC order is already flat)
    if kind in ("Conv2D", "DepthwiseConv2D"):
        steps = (tuple(layer.strides), tuple(layer.dilation_rate))
        if steps != ((1, 1), (1, 1)) or layer.data_format != "channels_last":
            raise Unsupported(f"layer {layer.name}: strides {layer.strides}, dilation {layer.dilation_rate}")
        return _weighted(layer, "conv" if kind == "Conv2D" else "depthwise", padding=layer.padding)
    if kind == "BatchNormalization":
        if layer.axis not in (-1, 3, [3], [-1]):
            raise Unsupported(f"layer {layer.name}: axis {layer.axis}")
        variables = {v.path.rsplit("/", 1)[-1]: v.numpy() for v in layer.weights}
        channels = len(variables["moving_mean"])
        return {
            "op": "batchnorm",
            "epsilon": float(layer.epsilon),
            "gamma": _weight(variables.get("gamma", np.ones(channels))),
            "beta": _weight(variables.get("beta", np.zeros(channels))),
            "mean": _weight(variables["moving_mean"]),
            "variance": _weight(variables["moving_variance"]),
        }
    if kind == "Activation":
        return {"op": "activation", "activation": _activation(layer)}
    if kind == "ReLU" and layer.max_value is None and not layer.negative_slope and not layer.threshold:
        return {"op": "activation", "activation": "relu"}
    if kind == "Softmax":
        return {"op": "activation", "activation": "softmax"}
    if kind == "MaxPooling2D":
        if layer.padding != "valid":
            raise Unsupported(f"layer {layer.name}: padding {layer.padding}")
        return {"op": "maxpool", "pool": list(layer.pool_size), "strides": list(layer.strides)}
    if kind == "Dense":
        return _weighted(layer, "dense")
    raise Unsupported(f"layer {layer.name}: {kind}")


def _history(value) -> list[str]:
    """Names of the layers whose outputs an inbound-node config refers to."""
    if isinstance(value, dict):
        if value.get("class_name") == "__keras_tensor__":
            return [value["config"]["keras_history"][0]]
        return [name for item in value.values() for name in _history(item)]
    if isinstance(value, (list, tuple)):
        return [name for item in value for name in _history(item)]
    return []


def _model(model) -> dict:
    import keras

    if isinstance(model, keras.Sequential):
        return {"op": "seq", "layers": [_layer(layer) for layer in model.layers]}
    config = model.get_config()
    # One input or output is written as ["name", 0, 0]; several as a list of those.
    ins, outs = ([x] if isinstance(x[0], str) else x for x in (config["input_layers"], config["output_layers"]))
    if len(ins) != 1 or len(outs) != 1:
        raise Unsupported(f"model {model.name}: more than one input or output")
    inputs = {ins[0][0]}
    parents = {layer["name"]: _history(layer["inbound_nodes"]) for layer in config["layers"]}

    def build(name: str) -> dict:
        if name in inputs:
            return {"op": "input"}
        layer = model.get_layer(name)
        if type(layer).__name__ == "Average":
            return {"op": "average", "branches": [build(parent) for parent in parents[name]]}
        if len(parents[name]) != 1:
            raise Unsupported(f"layer {name}: {len(parents[name])} inputs")
        return {"op": "apply", "layer": _layer(layer), "input": build(parents[name][0])}

    return {"op": "graph", "body": build(outs[0][0])}


def export(model) -> dict:
    """The model as the report's JavaScript evaluates it; raises Unsupported."""
    shape = tuple(model.input_shape)
    if shape != (None, 28, 28, 1) or tuple(model.output_shape) != (None, 10):
        raise Unsupported(f"input {shape} and output {model.output_shape}; the canvas needs (28, 28, 1) -> 10")
    return {"format": "digitstudy-recogniser-1", "model": _model(model)}
