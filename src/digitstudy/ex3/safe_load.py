"""Load submitted Keras models without ever running code from the file.

A Keras file can carry code: a Lambda layer stores Python bytecode, and a custom or
registered object names Python to import. Before Keras sees a file, its architecture JSON is
read directly (from the zip of a `.keras`, from an attribute of an `.h5`) and every object in
it must be a built-in Keras layer, activation, initializer, regularizer or constraint from an
allow-list. Only then is the file loaded, with `safe_mode=True` and without compiling.
"""

from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass
from pathlib import Path

ALLOWED_LAYERS = {
    "InputLayer", "Dense", "Conv2D", "SeparableConv2D", "DepthwiseConv2D", "MaxPooling2D",
    "AveragePooling2D", "GlobalAveragePooling2D", "GlobalMaxPooling2D", "Flatten", "Reshape",
    "Dropout", "SpatialDropout2D", "BatchNormalization", "LayerNormalization", "Activation",
    "ReLU", "LeakyReLU", "PReLU", "ELU", "Softmax", "Add", "Concatenate", "Average", "Maximum",
    "Multiply", "ZeroPadding2D", "Cropping2D", "Rescaling", "GaussianNoise", "GaussianDropout",
    "Sequential", "Functional", "Model",
}
ALLOWED_HELPERS = {
    # initializers, regularizers, constraints, dtype policies and optimizers' plain configs
    "GlorotUniform", "GlorotNormal", "HeUniform", "HeNormal", "LecunUniform", "LecunNormal",
    "Zeros", "Ones", "Constant", "RandomNormal", "RandomUniform", "TruncatedNormal", "Orthogonal",
    "VarianceScaling", "Identity", "L1", "L2", "L1L2", "MaxNorm", "NonNeg", "UnitNorm", "MinMaxNorm",
    "DTypePolicy", "FloatDTypePolicy", "__tuple__",
    "__keras_tensor__",  # a functional graph's reference to another layer's output: data, not code
}
ALLOWED_ACTIVATIONS = {
    "relu", "relu6", "sigmoid", "softmax", "tanh", "linear", "elu", "selu", "softplus", "softsign",
    "swish", "silu", "gelu", "exponential", "hard_sigmoid", "leaky_relu", "mish", "log_softmax",
}


class UnsafeModel(ValueError):
    """The file carries code or objects outside the allow-list, or is not a Keras model."""


@dataclass
class Architecture:
    config: dict
    format: str  # "keras" or "h5"


def read_architecture(path: str | Path) -> Architecture:
    """The model's architecture JSON, read without Keras."""
    path = Path(path)
    if not path.is_file() or path.stat().st_size == 0:
        raise UnsafeModel(f"{path.name}: empty or missing file")
    if zipfile.is_zipfile(path):
        try:
            with zipfile.ZipFile(path) as archive:
                return Architecture(json.loads(archive.read("config.json")), "keras")
        except (KeyError, zipfile.BadZipFile, json.JSONDecodeError, UnicodeDecodeError) as error:
            raise UnsafeModel(f"{path.name}: not a readable .keras archive ({error})") from error
    import h5py

    try:
        with h5py.File(path, "r") as handle:
            raw = handle.attrs.get("model_config")
    except OSError as error:
        raise UnsafeModel(f"{path.name}: neither a .keras archive nor an HDF5 file ({error})") from error
    if raw is None:
        raise UnsafeModel(f"{path.name}: HDF5 file without a model architecture (weights only?)")
    try:
        return Architecture(json.loads(raw.decode() if isinstance(raw, bytes) else raw), "h5")
    except json.JSONDecodeError as error:
        raise UnsafeModel(f"{path.name}: unreadable architecture JSON ({error})") from error


def find_code(node, where: str = "model") -> list[str]:
    """Every object in the architecture that is not on the allow-list, with where it is."""
    problems = []
    if isinstance(node, list):
        for item in node:
            problems.extend(find_code(item, where))
        return problems
    if not isinstance(node, dict):
        return problems
    config = node.get("config")
    name = node.get("class_name")
    if name is not None and isinstance(config, dict) and "name" in config:
        where = f"{where}/{config['name']}"
    if name == "Lambda":
        problems.append(f"{where}: Lambda layer (carries Python code)")
    elif name == "function":
        if config not in ALLOWED_ACTIVATIONS:
            problems.append(f"{where}: custom function {config!r}")
    elif name is not None and name not in ALLOWED_LAYERS | ALLOWED_HELPERS:
        problems.append(f"{where}: {name} is not a built-in Keras object on the allow-list")
    module = node.get("module")
    if name is not None and module is not None and not str(module).startswith("keras"):
        problems.append(f"{where}: object from module {module!r}")
    registered = node.get("registered_name")
    if registered and ">" in str(registered):
        problems.append(f"{where}: custom registered object {registered!r}")
    activation = node.get("activation")
    if isinstance(activation, str) and activation not in ALLOWED_ACTIVATIONS:
        problems.append(f"{where}: activation {activation!r} is not a built-in one")
    for key, value in node.items():
        if key != "compile_config":  # models are loaded with compile=False: never deserialized
            problems.extend(find_code(value, where))
    return problems


def load_untrusted(path: str | Path):
    """Check, then load. Raises UnsafeModel with the reasons; never executes code from the file."""
    architecture = read_architecture(path)
    problems = find_code(architecture.config)
    if problems:
        shown = "; ".join(problems[:5]) + (f"; and {len(problems) - 5} more" if len(problems) > 5 else "")
        raise UnsafeModel(f"{Path(path).name}: refused - {shown}")
    import keras

    try:
        return keras.models.load_model(path, compile=False, safe_mode=True)
    except Exception as error:  # a file that passed the checks but is still broken
        raise UnsafeModel(f"{Path(path).name}: could not be loaded ({type(error).__name__}: {error})") from error
