"""Load submitted Keras models without ever running code from the file.

A Keras file can carry code: a Lambda layer stores Python bytecode, and a custom or registered
object names Python to import. Before Keras sees a file:
- its format is read from its first bytes, not its name (a file that is both HDF5 and zip is
  refused), and Keras is given a copy named for that format, so it reads what was checked;
- sizes are checked before anything is parsed (the file, config.json, the zip's members);
- every object in everything Keras deserializes (architecture, nested models, compile configs)
  must be an allow-listed built-in, from exactly the module Keras itself writes for it.
Only then is the copy loaded, with `safe_mode=True` and without compiling.
"""

from __future__ import annotations

import io
import json
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath


def _names(text: str) -> set[str]:
    return set(text.split())


MB = 2**20
HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
ZIP_SIGNATURE = b"PK\x03\x04"
KERAS_MEMBERS = {"config.json", "metadata.json", "model.weights.h5", "model.weights.npz"}

LAYERS = _names("""
    InputLayer Dense Conv2D SeparableConv2D DepthwiseConv2D MaxPooling2D AveragePooling2D GlobalAveragePooling2D
    GlobalMaxPooling2D Flatten Reshape Dropout SpatialDropout2D BatchNormalization LayerNormalization Activation
    ReLU LeakyReLU PReLU ELU Softmax Add Concatenate Average Maximum Multiply ZeroPadding2D Cropping2D Rescaling
    GaussianNoise GaussianDropout
""")
INITIALIZERS = _names("""
    GlorotUniform GlorotNormal HeUniform HeNormal LecunUniform LecunNormal Zeros Ones Constant RandomNormal
    RandomUniform TruncatedNormal Orthogonal VarianceScaling Identity
""")
OPTIMIZERS = _names("SGD Adam AdamW Adamax Adagrad Adadelta Nadam RMSprop Ftrl Lion")
SCHEDULES = _names("""
    ExponentialDecay PiecewiseConstantDecay PolynomialDecay InverseTimeDecay CosineDecay CosineDecayRestarts
""")
LOSSES = _names("""
    CategoricalCrossentropy SparseCategoricalCrossentropy BinaryCrossentropy MeanSquaredError MeanAbsoluteError
    KLDivergence CategoricalHinge Huber
""")
METRICS = _names("""
    Accuracy CategoricalAccuracy SparseCategoricalAccuracy TopKCategoricalAccuracy SparseTopKCategoricalAccuracy
    MeanSquaredError MeanAbsoluteError Mean AUC Precision Recall
""")
# Each built-in class and the module Keras writes for it in a .keras file; .h5 files name no
# module (None), and Keras then looks the class up among its own built-ins.
MODULES: dict[str, set] = {
    **{name: {"keras.layers"} for name in LAYERS},
    **{name: {"keras.initializers"} for name in INITIALIZERS},
    **{name: {"keras.regularizers"} for name in ("L1", "L2", "L1L2", "OrthogonalRegularizer")},
    **{name: {"keras.constraints"} for name in ("MaxNorm", "NonNeg", "UnitNorm", "MinMaxNorm")},
    # Keras on PyTorch writes its own optimizer subclass's module.
    **{name: {"keras.optimizers", f"keras.src.backend.torch.optimizers.torch_{name.lower()}"} for name in OPTIMIZERS},
    **{name: {"keras.optimizers.schedules"} for name in SCHEDULES},
    **{name: {"keras.losses"} for name in LOSSES},
    **{name: {"keras.metrics"} for name in METRICS},
    "Sequential": {"keras", "keras.src.models.sequential"},
    "Functional": {"keras.src.models.functional"},
    "Model": {"keras", "keras.src.models.model"},
    "DTypePolicy": {"keras", "keras.dtype_policies"},
    "FloatDTypePolicy": {"keras", "keras.dtype_policies"},
    # Data, not code: a functional graph's reference to another layer's output, a tuple.
    "__keras_tensor__": set(),
    "__tuple__": set(),
    # A built-in activation given as a function; its `config` is the activation's name.
    "function": {"keras.activations", "keras.src.activations.activations"},
}
ACTIVATIONS = _names("""
    relu relu6 sigmoid softmax tanh linear elu selu softplus softsign swish silu gelu exponential hard_sigmoid
    leaky_relu mish log_softmax
""")
# Names a compile config may give as plain strings (Keras looks them up among its built-ins):
# the optimizers' names in lower case, losses and metrics.
COMPILE_NAMES = {name.lower() for name in OPTIMIZERS} | _names("""
    categorical_crossentropy sparse_categorical_crossentropy binary_crossentropy mse mae mean_squared_error
    mean_absolute_error kl_divergence huber categorical_hinge accuracy acc categorical_accuracy
    sparse_categorical_accuracy top_k_categorical_accuracy sparse_top_k_categorical_accuracy
""")


class UnsafeModel(ValueError):
    """The file carries code or objects outside the allow-list, is too large, or is not a Keras model."""


@dataclass(frozen=True)
class SizeLimits:
    file_mb: float  # the submitted file
    config_mb: float  # config.json of a .keras, model_config of an .h5, before parsing
    unpacked_mb: float  # all members of a .keras archive, uncompressed


def _refuse(path: Path, reason: str) -> UnsafeModel:
    return UnsafeModel(f"{path.name}: {reason}")


def model_format(path: str | Path) -> str:
    """ "keras" (zip) or "h5" (HDF5), from the file's first bytes. A file that is both is refused:
    Keras would read one format while a check read the other."""
    path = Path(path)
    with open(path, "rb") as handle:
        head = handle.read(8)
    is_zip = zipfile.is_zipfile(path)
    if head == HDF5_SIGNATURE:
        if is_zip:
            raise _refuse(path, "is both an HDF5 file and a zip archive (a polyglot)")
        return "h5"
    if head[:4] == ZIP_SIGNATURE and is_zip:
        return "keras"
    raise _refuse(path, "neither a .keras archive (zip) nor an HDF5 file, by its first bytes")


def _parse_json(raw: bytes | str, path: Path, what: str):
    try:
        value = json.loads(raw)
    except (ValueError, RecursionError, UnicodeDecodeError) as error:  # bad JSON, huge ints, deep nesting
        raise _refuse(path, f"unreadable {what} ({type(error).__name__}: {str(error)[:120]})") from None
    if not isinstance(value, dict):
        raise _refuse(path, f"{what} is not a JSON object")
    return value


def _refuse_links(path: Path, handle, where: str) -> None:
    """Refuse links and storage that make h5py read other files when Keras reads the weights."""
    import h5py

    problems = []

    def link(name, value):
        if isinstance(value, (h5py.ExternalLink, h5py.SoftLink)):
            problems.append(f"{where}: {type(value).__name__} {name[:60]!r}")

    def dataset(name, value):
        if isinstance(value, h5py.Dataset) and (value.external or value.is_virtual):
            problems.append(f"{where}: dataset {name[:60]!r} stored outside the file")

    handle.visititems_links(link)
    if not problems:  # following the links above could leave the file
        handle.visititems(dataset)
    if problems:
        raise _refuse(path, "refused - " + "; ".join(problems[:5]))


def _check_members(path: Path, members: list[zipfile.ZipInfo]) -> None:
    names = [member.filename for member in members]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:  # which copy a reader takes differs between readers: the checked one may not be loaded
        raise _refuse(path, f"archive member {repeated[0][:80]!r} appears more than once")
    for member in members:
        name, posix = member.filename, PurePosixPath(member.filename)
        if name not in KERAS_MEMBERS and (posix.parts[:1] != ("assets",) or ".." in posix.parts or posix.is_absolute()):
            raise _refuse(path, f"unexpected archive member {name[:80]!r}")
        if member.flag_bits & 0x1:
            raise _refuse(path, f"archive member {name!r} is encrypted")
        if member.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise _refuse(path, f"archive member {name!r} uses compression method {member.compress_type}")


def _keras_configs(path: Path, limits: SizeLimits) -> list[tuple[str, dict]]:
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            _check_members(path, members)
            unpacked = sum(member.file_size for member in members) / MB
            if unpacked > limits.unpacked_mb:
                raise _refuse(path, f"unpacks to {unpacked:,.0f} MB, over the {limits.unpacked_mb:,.0f} MB limit")
            config = archive.getinfo("config.json")
            if config.file_size > limits.config_mb * MB:
                size = f"{config.file_size / MB:,.1f} MB"
                raise _refuse(path, f"config.json is {size}, over the {limits.config_mb:,.0f} MB limit")
            with archive.open(config) as handle:  # read no more than the limit, whatever the header says
                raw = handle.read(int(limits.config_mb * MB) + 1)
            if "model.weights.h5" in archive.namelist():
                import h5py

                with h5py.File(io.BytesIO(archive.read("model.weights.h5")), "r") as weights:
                    _refuse_links(path, weights, "model.weights.h5")
    except KeyError:
        raise _refuse(path, "a .keras archive without config.json") from None
    except UnsafeModel:
        raise
    except Exception as error:  # zipfile raises many types for damaged archives
        raise _refuse(path, f"not a readable .keras archive ({type(error).__name__}: {str(error)[:120]})") from None
    if len(raw) > limits.config_mb * MB:
        raise _refuse(path, f"config.json is over the {limits.config_mb:,.0f} MB limit")
    return [("config.json", _parse_json(raw, path, "config.json"))]


def _h5_configs(path: Path, limits: SizeLimits) -> list[tuple[str, dict]]:
    import h5py
    import numpy as np

    configs = []
    try:
        with h5py.File(path, "r") as handle:
            _refuse_links(path, handle, path.name)
            for name in ("model_config", "training_config"):
                if name not in handle.attrs:
                    continue
                attribute = handle.attrs.get_id(name)
                if attribute.get_storage_size() > limits.config_mb * MB:
                    raise _refuse(path, f"{name} is over the {limits.config_mb:,.0f} MB limit")
                if attribute.dtype.kind not in ("S", "O", "U") or attribute.shape not in ((), None):
                    raise _refuse(path, f"{name} is not a text attribute ({attribute.dtype}, shape {attribute.shape})")
                raw = handle.attrs[name]
                raw = raw.item() if isinstance(raw, np.ndarray) else raw
                if not isinstance(raw, (bytes, str)):
                    raise _refuse(path, f"{name} is not text")
                if len(raw) > limits.config_mb * MB:
                    raise _refuse(path, f"{name} is over the {limits.config_mb:,.0f} MB limit")
                configs.append((name, _parse_json(raw, path, name)))
    except UnsafeModel:
        raise
    except Exception as error:  # h5py raises OSError, KeyError, TypeError... for damaged files
        raise _refuse(path, f"not a readable HDF5 model ({type(error).__name__}: {str(error)[:120]})") from None
    if not configs or configs[0][0] != "model_config":
        raise _refuse(path, "HDF5 file without a model architecture (weights only?)")
    return configs


def _check_file(path: Path, limits: SizeLimits) -> str:
    """A regular, non-empty file within the size limit (checked before anything is read); returns its format."""
    if path.is_symlink() or not path.is_file():
        raise _refuse(path, "not a regular file")
    size = path.stat().st_size
    if size == 0:
        raise _refuse(path, "empty file")
    if size > limits.file_mb * MB:
        raise _refuse(path, f"{size / MB:,.0f} MB, over the {limits.file_mb:,.0f} MB limit")
    return model_format(path)


def find_code(node, where: str = "model", compiling: bool = False) -> list[str]:
    """Every object in a Keras config that is not a built-in on the allow-list, with where it is.
    Inside compile configs (`compiling`), plain strings naming a loss, metric or optimizer must be
    built-in names too."""
    if isinstance(node, list):
        return [problem for item in node for problem in find_code(item, where, compiling)]
    if not isinstance(node, dict):
        return []
    problems = []
    name, config = node.get("class_name"), node.get("config")
    if isinstance(config, dict) and isinstance(config.get("name"), str):
        where = f"{where}/{config['name'][:40]}"
    if "class_name" in node:
        problems += _object_problems(node, name, config, where)
    activation = node.get("activation")
    if isinstance(activation, str) and activation not in ACTIVATIONS:
        problems.append(f"{where}: activation {activation[:60]!r} is not a built-in one")
    for key, value in node.items():
        inner = compiling or key in ("compile_config", "training_config")
        if inner and key in ("loss", "metrics", "weighted_metrics", "optimizer", "optimizer_config"):
            for item in value if isinstance(value, list) else [value]:
                if isinstance(item, str) and item not in COMPILE_NAMES:
                    problems.append(f"{where}: {key} {item[:60]!r} is not a built-in name")
        problems += find_code(value, where, inner)
    return problems


def _object_problems(node: dict, name, config, where: str) -> list[str]:
    if not isinstance(name, str):
        return [f"{where}: class_name is a {type(name).__name__}, not a name"]
    if name in ("Lambda", "__lambda__"):
        return [f"{where}: {name} (carries Python code)"]
    if name not in MODULES:
        return [f"{where}: {name[:60]!r} is not a built-in Keras object on the allow-list"]
    problems = []
    module, registered = node.get("module"), node.get("registered_name")
    if module is not None and not (isinstance(module, str) and module in MODULES[name]):
        problems.append(f"{where}: {name} from module {str(module)[:60]!r} (Keras writes {sorted(MODULES[name])})")
    if registered not in (None, name):
        problems.append(f"{where}: {name} with registered name {str(registered)[:60]!r}")
    if name == "function" and not (isinstance(config, str) and config in ACTIVATIONS):
        problems.append(f"{where}: function {str(config)[:60]!r} is not a built-in activation")
    return problems


def check(path: str | Path, limits: SizeLimits) -> str:
    """Raise UnsafeModel with the reasons unless the file holds only allow-listed objects; returns its format.
    Everything Keras will deserialize from the file is read without Keras."""
    path = Path(path)
    kind = _check_file(path, limits)
    configs = _keras_configs(path, limits) if kind == "keras" else _h5_configs(path, limits)
    problems = [problem for where, config in configs for problem in find_code(config, where)]
    if problems:
        shown = "; ".join(problems[:5]) + (f"; and {len(problems) - 5} more" if len(problems) > 5 else "")
        raise _refuse(path, f"refused - {shown}")
    return kind


def load_untrusted(path: str | Path, limits: SizeLimits | None = None):
    """Check, then load; never executes code from the file. Raises UnsafeModel with the reasons.
    Keras loads a copy named for its format (Keras reads a file by its name), which cannot change after the check."""
    from ..settings import schema_defaults

    if limits is None:
        defaults = schema_defaults("ex3")["grade"]["limits"]
        limits = SizeLimits(defaults["file_mb"], defaults["config_mb"], defaults["disk_mb"])
    path = Path(path)
    kind = _check_file(path, limits)  # before anything is copied or read
    with tempfile.TemporaryDirectory(prefix="digitstudy-model-") as folder:
        copy = Path(folder) / f"{path.stem[:40] or 'model'}.{kind}"
        shutil.copyfile(path, copy)
        try:
            check(copy, limits)
        except UnsafeModel as error:
            raise UnsafeModel(str(error).replace(copy.name, path.name, 1)) from None
        import keras

        try:
            return keras.models.load_model(copy, compile=False, safe_mode=True)
        except Exception as error:  # a file that passed the checks but is still broken
            raise _refuse(path, f"could not be loaded ({type(error).__name__}: {str(error)[:200]})") from None
