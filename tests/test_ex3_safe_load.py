"""The grader's loader refuses files that carry code, without running them."""

import h5py
import keras
import numpy as np
import pytest

from digitstudy.ex3.safe_load import SizeLimits, UnsafeModel, check, load_untrusted


def _plain_model():
    return keras.Sequential(
        [keras.Input((28, 28)), keras.layers.Flatten(), keras.layers.Dense(10, activation="softmax")]
    )


@pytest.mark.parametrize("suffix", [".h5", ".keras"])
def test_plain_model_loads(tmp_path, suffix):
    path = tmp_path / f"ok{suffix}"
    _plain_model().save(path)
    assert check(path, SizeLimits(64, 4, 256)) in ("h5", "keras")
    assert load_untrusted(path).output_shape == (None, 10)


@pytest.mark.parametrize("suffix", [".h5", ".keras"])
def test_lambda_model_is_refused_without_running_it(tmp_path, suffix):
    marker = tmp_path / "code-ran"

    def side_effect(x):
        # Runs at build time here, and would run again if a loader deserialised the layer.
        import pathlib

        pathlib.Path(str(marker)).write_text("ran")
        return x

    model = keras.Sequential(
        [
            keras.Input((28, 28)),
            keras.layers.Lambda(side_effect),
            keras.layers.Flatten(),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
    path = tmp_path / f"evil{suffix}"
    model.save(path)
    marker.unlink()
    with pytest.raises(UnsafeModel, match="Lambda"):
        load_untrusted(path)
    assert not marker.exists()


def test_custom_activation_is_refused(tmp_path):
    from digitstudy.ex1.mlp import build_mlp

    path = tmp_path / "lecun.keras"
    build_mlp(2, "lecun", units=4).save(path)
    with pytest.raises(UnsafeModel, match="lecun"):
        load_untrusted(path)


@pytest.mark.parametrize("content", [b"", b"garbage bytes, not a model", b"PK\x03\x04broken zip"])
def test_corrupt_files_are_refused(tmp_path, content):
    path = tmp_path / "broken.h5"
    path.write_bytes(content)
    with pytest.raises(UnsafeModel, match="broken.h5"):
        load_untrusted(path)


def test_weights_only_h5_is_refused(tmp_path):
    path = tmp_path / "weights.h5"
    with h5py.File(path, "w") as handle:
        handle["w"] = np.zeros(3)
    with pytest.raises(UnsafeModel, match="without a model architecture"):
        load_untrusted(path)


def _rewritten(template, path, members):
    """`template` (a .keras archive) with `members` [(name, bytes)] written after its own."""
    import warnings
    import zipfile

    with zipfile.ZipFile(template) as source, zipfile.ZipFile(path, "w") as target, warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # zipfile warns of a duplicate name, and writes it
        for item in source.infolist():
            target.writestr(item.filename, source.read(item))
        for name, data in members:
            target.writestr(name, data)


def test_archive_with_a_member_twice_is_refused(tmp_path):
    import json
    import zipfile

    template = tmp_path / "plain.keras"
    _plain_model().save(template)
    config = json.loads(zipfile.ZipFile(template).read("config.json"))
    config["config"]["layers"][-1]["config"]["activation"] = "eval"  # the copy that a reader may take
    path = tmp_path / "twice.keras"
    _rewritten(template, path, [("config.json", json.dumps(config))])
    with pytest.raises(UnsafeModel, match="'config.json' appears more than once"):
        check(path, SizeLimits(64, 4, 256))


def test_function_config_that_is_not_a_name_is_refused_with_a_reason(tmp_path):
    import json
    import zipfile

    template = tmp_path / "plain.keras"
    _plain_model().save(template)
    config = json.loads(zipfile.ZipFile(template).read("config.json"))
    config["config"]["layers"][-1]["config"]["activation"] = {
        "module": "keras.activations",
        "class_name": "function",
        "config": ["softmax"],
        "registered_name": "function",
    }
    config["config"]["layers"][-1]["module"] = ["keras.layers"]  # a list where a name belongs, as well
    path = tmp_path / "listed.keras"
    with zipfile.ZipFile(template) as archive:
        members = [(item.filename, archive.read(item)) for item in archive.infolist() if item.filename != "config.json"]
    with zipfile.ZipFile(path, "w") as target:
        for name, data in [("config.json", json.dumps(config).encode()), *members]:
            target.writestr(name, data)
    with pytest.raises(UnsafeModel, match=r"function .*softmax.* is not a built-in activation") as refusal:
        check(path, SizeLimits(64, 4, 256))
    assert "Dense from module \"['keras.layers']\"" in str(refusal.value)
