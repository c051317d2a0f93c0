"""The grader against hostile and malformed submissions: each costs only its own marks.

Every file below is graded in one folder with one good model. The grading must finish, grade the
good model, refuse each bad file with a reason, and run no code from any of them: every payload
would create a file in `markers/` if it ran.
"""

import io
import json
import os
import pickle
import random
import struct
import zipfile
import zlib
from pathlib import Path

import cv2
import h5py
import keras
import numpy as np
import pandas as pd
import pytest

from digitstudy.ex3.grading import Limits, grade, spreadsheet_safe, submission_files
from digitstudy.ex3.outputs import write_grades
from tests.keras_models import constant_model

# Small limits keep the suite fast; the good model needs a fraction of each.
LIMITS = dict(file_mb=64, config_mb=4, disk_mb=256, memory_mb=1500, cpu_seconds=20, wall_seconds=25, workers=2)


def _marker_code(marker: Path) -> str:
    return f"open({str(marker)!r}, 'w').write('ran')"


def _rezip(template: Path, path: Path, config=None, extra: dict | None = None, drop=()):
    """A copy of a .keras archive with config.json replaced (dict or raw text) and members added."""
    with zipfile.ZipFile(template) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            if item.filename in drop:
                continue
            data = source.read(item)
            if item.filename == "config.json" and config is not None:
                data = config if isinstance(config, (bytes, str)) else json.dumps(config)
            target.writestr(item.filename, data)
        for name, data in (extra or {}).items():
            target.writestr(name, data)


def _edited(template: Path, path: Path, edit):
    config = json.loads(zipfile.ZipFile(template).read("config.json"))
    edit(config)
    _rezip(template, path, config)


def _layers(config):
    return config["config"]["layers"]


def _set_h5_attribute(template: Path, path: Path, name: str, value):
    path.write_bytes(template.read_bytes())
    with h5py.File(path, "r+") as handle:
        del handle.attrs[name]
        handle.attrs[name] = value


def _deflate_stream(total: int, chunk: int = 1 << 20) -> bytes:
    """`total` bytes of spaces, deflated (a small member that unpacks large)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    out = [compressor.compress(b" " * chunk) for _ in range(total // chunk)]
    return b"".join(out) + compressor.flush()


def _member_bomb(path: Path, template: Path, members: dict[str, int]):
    """A .keras whose named members unpack to the given sizes (deflated spaces), written by hand
    so that nothing large is ever held or compressed by zipfile; the template's other members stored."""
    with zipfile.ZipFile(template) as archive:
        entries = [(item.filename, archive.read(item)) for item in archive.infolist() if item.filename not in members]
    buffer, central = io.BytesIO(), []

    def member(name: str, payload: bytes, size: int, crc: int, method: int):
        central.append(
            struct.pack(
                "<4s6H3L5H2L",
                b"PK\x01\x02",
                20,
                20,
                0,
                method,
                0,
                0,
                crc,
                len(payload),
                size,
                len(name),
                0,
                0,
                0,
                0,
                0,
                buffer.tell(),
            )
            + name.encode()
        )
        buffer.write(
            struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, method, 0, 0, crc, len(payload), size, len(name), 0)
            + name.encode()
            + payload
        )

    for name, data in entries:
        member(name, data, len(data), zlib.crc32(data), 0)
    for name, size in members.items():
        crc = 0
        for _ in range(size >> 20):
            crc = zlib.crc32(b" " * (1 << 20), crc)
        member(name, _deflate_stream(size), size, crc, 8)
    start = buffer.tell()
    buffer.write(b"".join(central))
    buffer.write(
        struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, len(central), len(central), buffer.tell() - start, start, 0)
    )
    path.write_bytes(buffer.getvalue())


def _patch_zip_member(path: Path, member: str, *, flags: int | None = None, method: int | None = None):
    """Set the general-purpose flags or compression method of a member, in its local and central headers."""
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        local = archive.getinfo(member).header_offset
    central = struct.unpack_from("<L", data, data.rfind(b"PK\x05\x06") + 16)[0]
    while data[central : central + 4] == b"PK\x01\x02":
        name_length, extra_length, comment_length = struct.unpack_from("<3H", data, central + 28)
        if data[central + 46 : central + 46 + name_length] == member.encode():
            break
        central += 46 + name_length + extra_length + comment_length
    for header, offset in ((local, 6), (central, 8)):
        if flags is not None:
            struct.pack_into("<H", data, header + offset, flags)
        if method is not None:
            struct.pack_into("<H", data, header + offset + 2, method)
    path.write_bytes(bytes(data))


class Payload:
    """Unpickling this writes a marker: a pickle that runs code."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (exec, (_marker_code(self.marker),))


def _hostile_files(folder: Path, markers: Path, templates: dict[str, Path]) -> dict[str, str]:
    """Write every hostile file into `folder`; returns {file name: what it is}."""
    good_keras, good_h5 = templates["keras"], templates["h5"]
    made = {}

    def add(name, what):
        made[name] = what
        return folder / name

    def lambda_model(marker):
        def side_effect(x):
            Path(str(marker)).write_text("ran")
            return x

        return keras.Sequential(
            [
                keras.Input((28, 28)),
                keras.layers.Lambda(side_effect),
                keras.layers.Flatten(),
                keras.layers.Dense(10, activation="softmax"),
            ]
        )

    for suffix in ("keras", "h5"):
        marker = markers / f"lambda_{suffix}"
        lambda_model(marker).save(add(f"lambda.{suffix}", "a Lambda layer whose code writes a marker"))
        marker.unlink()  # building the model ran it here, once; loading must not run it again

    def edit(name, what, change):
        _edited(good_keras, add(name, what), change)

    edit("class_name_dict.keras", "class_name is a dict", lambda c: _layers(c)[1].update(class_name={"a": 1}))
    edit("class_name_list.keras", "class_name is a list", lambda c: _layers(c)[1].update(class_name=["Dense"]))
    text = zipfile.ZipFile(good_keras).read("config.json").decode()
    _rezip(
        good_keras,
        add("huge_int.keras", "a 5,000-digit integer in config.json"),
        text.replace('"units": 10', '"units": ' + "9" * 5000),
    )
    _rezip(
        good_keras,
        add("deep_nesting.keras", "config.json nested 100,000 deep"),
        text[:-1] + ', "x": ' + "[" * 100_000 + "]" * 100_000 + "}",
    )
    _set_h5_attribute(
        good_h5, add("config_int_array.h5", "model_config is an integer array"), "model_config", np.arange(10)
    )
    _set_h5_attribute(
        good_h5,
        add("config_bad_utf8.h5", "model_config is invalid UTF-8"),
        "model_config",
        np.bytes_(b"\xff\xfe{\x80}"),
    )
    _rezip(good_keras, add("encrypted.keras", "config.json flagged encrypted"))
    _patch_zip_member(folder / "encrypted.keras", "config.json", flags=1)
    _rezip(good_keras, add("compression99.keras", "config.json with unknown compression method 99"))
    _patch_zip_member(folder / "compression99.keras", "config.json", method=99)
    edit(
        "unbuilt.keras",
        "a Sequential model that was never built",
        lambda c: (
            c["config"].pop("build_input_shape", None),
            c.pop("build_config", None),
            c["config"]["layers"].pop(0),
        ),
    )
    keras.Sequential(
        [
            keras.Input((28, 28)),
            keras.layers.Flatten(),
            keras.layers.Dense(20),
            keras.layers.Reshape((2, 10)),
            keras.layers.Softmax(),
        ]
    ).save(add("output_2x10.keras", "output shape (None, 2, 10)"))
    keras.Sequential(
        [keras.Input((None, None, 1)), keras.layers.Reshape((900,)), keras.layers.Dense(10, activation="softmax")]
    ).save(add("fails_at_predict.keras", "a layer that fails only when predicting"))
    keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            keras.layers.ZeroPadding2D(30_000),
            keras.layers.GlobalMaxPooling2D(),
            keras.layers.Dense(10, activation="softmax"),
        ]
    ).save(add("padding_oom.keras", "a padding layer that runs out of memory at predict time"))
    keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            keras.layers.ZeroPadding2D(1500),
            keras.layers.Conv2D(256, 5),
            keras.layers.GlobalMaxPooling2D(),
            keras.layers.Dense(10, activation="softmax"),
        ]
    ).save(add("slow.keras", "a model that computes for minutes"))
    edit(
        "units_500k.keras",
        "a small file declaring a 500,000-unit layer",
        lambda c: _layers(c)[-1]["config"].update(units=500_000),
    )
    _member_bomb(add("config_bomb.keras", "config.json that unpacks to 64 MiB"), good_keras, {"config.json": 64 << 20})
    _member_bomb(
        add("member_bomb.keras", "8 members of 40 MiB each"),
        good_keras,
        {f"assets/blob{i}": 40 << 20 for i in range(8)},
    )

    def six_hundred(c):
        dense = _layers(c)[-1]
        _layers(c)[-1:] = [
            {
                **dense,
                "config": {**dense["config"], "name": f"d{i}"},
                "build_config": dense["build_config"] if i == 0 else {"input_shape": [None, 10]},
            }
            for i in range(600)
        ]

    edit("600_layers.keras", "600 layers", six_hundred)
    add("polyglot.h5", "HDF5 and zip at once (cat model.h5 other.zip)").write_bytes(
        good_h5.read_bytes() + good_keras.read_bytes()
    )

    def nested_compile(c):
        inner = {
            "module": "keras",
            "class_name": "Sequential",
            "registered_name": None,
            "config": {"name": "inner", "layers": [_layers(c)[-1]]},
            "compile_config": {
                "optimizer": {"module": "os", "class_name": "system", "config": {}},
                "loss": "os.system",
            },
        }
        _layers(c)[-1] = inner

    edit("nested_compile.keras", "a nested model's compile config with off-list optimizer and loss", nested_compile)
    edit(
        "keras_hub_module.keras",
        "a layer from keras_hub (prefix 'keras')",
        lambda c: _layers(c)[-1].update(module="keras_hub.src.layers"),
    )
    edit("keras_evil_module.keras", "a module named keras_evil", lambda c: _layers(c)[-1].update(module="keras_evil"))
    edit("os_system.keras", "an os.system object", lambda c: _layers(c)[-1].update(module="os", class_name="system"))
    edit(
        "subprocess.keras",
        "a subprocess.Popen object",
        lambda c: _layers(c)[-1].update(module="subprocess", class_name="Popen"),
    )
    edit(
        "builtins_eval.keras",
        "activation = builtins.eval",
        lambda c: _layers(c)[-1]["config"].update(
            activation={"module": "builtins", "class_name": "function", "config": "eval", "registered_name": "eval"}
        ),
    )
    edit("activation_string.keras", "activation = 'eval'", lambda c: _layers(c)[-1]["config"].update(activation="eval"))
    edit(
        "registered.keras", "a custom registered object", lambda c: _layers(c)[-1].update(registered_name="evil>Dense")
    )
    edit("torch_wrapper.keras", "TorchModuleWrapper", lambda c: _layers(c)[-1].update(class_name="TorchModuleWrapper"))
    edit("tfsm_layer.keras", "TFSMLayer", lambda c: _layers(c)[-1].update(class_name="TFSMLayer"))
    edit(
        "initializer_code.keras",
        "code in an initializer",
        lambda c: _layers(c)[-1]["config"].update(
            kernel_initializer={
                "module": "__main__",
                "class_name": "function",
                "config": "evil",
                "registered_name": "evil",
            }
        ),
    )
    edit(
        "lambda_special.keras",
        "a __lambda__ object",
        lambda c: _layers(c)[-1]["config"].update(
            activation={"class_name": "__lambda__", "config": {"code": "YQ==", "defaults": None, "closure": None}}
        ),
    )
    _rezip(
        good_keras,
        add("traversal.keras", "a member named ../../markers/escaped"),
        extra={"../../markers/escaped": b"escaped"},
    )
    with open(add("pickle.h5", "a pickle that writes a marker, named .h5"), "wb") as handle:
        pickle.dump(Payload(markers / "pickle"), handle)
    raw = good_keras.read_bytes()
    add("truncated.keras", "half of a .keras").write_bytes(raw[: len(raw) // 2])
    constant_model(7, (32, 32, 3)).save(add("input_32x32x3.h5", "input shape (32, 32, 3)"))
    add("empty.keras", "an empty file").write_bytes(b"")
    add("random.h5", "random bytes").write_bytes(random.Random(1).randbytes(5000))
    weights = folder / "w.weights.h5"
    constant_model(7).save_weights(weights)
    weights.rename(add("weights_only.h5", "weights without an architecture"))
    _rezip(good_keras, add("no_config.keras", "a .keras without config.json"), drop=("config.json",))
    _rezip(good_keras, add("config_list.keras", "config.json is a JSON list"), "[1, 2]")
    os.symlink("/etc/passwd", add("symlink.keras", "a symbolic link to /etc/passwd"))
    add("folder.keras", "a folder").mkdir()
    secret = folder.parent / "secret.h5"
    with h5py.File(secret, "w") as handle:
        handle["data"] = np.arange(10.0)
    path = add("external_link.h5", "weights that link to another HDF5 file")
    path.write_bytes(good_h5.read_bytes())
    with h5py.File(path, "r+") as handle:
        handle["model_weights/stolen"] = h5py.ExternalLink(str(secret), "/data")
    weights = io.BytesIO()
    with zipfile.ZipFile(good_keras) as archive:
        weights.write(archive.read("model.weights.h5"))
    with h5py.File(weights, "r+") as handle:
        handle["stolen"] = h5py.ExternalLink(str(secret), "/data")
    _rezip(
        good_keras,
        add("external_link.keras", "model.weights.h5 linking to another file"),
        drop=("model.weights.h5",),
        extra={"model.weights.h5": weights.getvalue()},
    )
    with open(add("too_large.h5", "a 100 MB file"), "wb") as handle:
        handle.truncate(100 << 20)
    return made


def _templates(folder: Path) -> dict[str, Path]:
    model = constant_model(7)
    paths = {"keras": folder / "template.keras", "h5": folder / "template.h5"}
    for path in paths.values():
        model.save(path)
    return paths


@pytest.fixture(scope="module")
def labelled(tmp_path_factory):
    root = tmp_path_factory.mktemp("digits")
    for digit in (1, 7):
        (root / str(digit)).mkdir()
        for index in range(2):
            image = np.full((60, 60), 230, np.uint8)
            cv2.putText(image, str(digit), (15, 48), cv2.FONT_HERSHEY_SIMPLEX, 1.6, 20, 4)
            cv2.imwrite(str(root / str(digit) / f"{index}.png"), image)
    return root


def test_hostile_files_are_refused_one_by_one_and_the_good_model_is_graded(tmp_path, labelled, monkeypatch):
    markers, submissions, templates = tmp_path / "markers", tmp_path / "submissions", tmp_path / "templates"
    for folder in (markers, submissions, templates):
        folder.mkdir()
    made = _hostile_files(submissions, markers, _templates(templates))
    assert len(made) >= 30
    constant_model(7).save(submissions / "good.keras")
    (submissions / "GOOD.KERAS").write_bytes((submissions / "good.keras").read_bytes())
    constant_model(7).save(submissions / "=HYPERLINK(x).h5")
    # A folder shadowing a module Keras imports, where the grader is started: it must not be imported.
    evil = tmp_path / "evil"
    (evil / "keras_hub").mkdir(parents=True)
    (evil / "keras_hub" / "__init__.py").write_text(_marker_code(markers / "keras_hub"))
    monkeypatch.chdir(evil)
    monkeypatch.syspath_prepend(str(evil))

    table = write_grades(submissions, labelled, tmp_path / "out" / "grades.csv", LIMITS).set_index("submission")
    for good in ("good.keras", "GOOD.KERAS", "=HYPERLINK(x).h5"):
        assert table.loc[good, "status"] == "graded" and table.loc[good, "marks"] == 40.0, table.loc[good]
    for name, what in made.items():
        row = table.loc[name]
        assert row.status.startswith("refused: ") and len(row.status) > 20 and row.marks == 0, (name, what, row.status)
    assert list(markers.iterdir()) == [], "a payload ran"
    assert not (tmp_path.parent / "markers" / "escaped").exists()
    assert (table.peak_memory_mb.dropna() < 3000).all()
    written = pd.read_csv(tmp_path / "out" / "grades.csv")
    assert "'=HYPERLINK(x).h5" in written.submission.tolist() and len(written) == len(table)
    print("\n" + table[["status", "seconds", "peak_memory_mb"]].to_string(max_colwidth=150))


def _mutations(raw: bytes, count: int, seed: int) -> list[bytes]:
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        data = bytearray(raw)
        if rng.random() < 0.1:
            data = data[: rng.randrange(1, len(data))]
        else:
            for _ in range(rng.randint(1, 16)):
                data[rng.randrange(len(data))] = rng.randrange(256)
        out.append(bytes(data))
    return out


def test_fuzzed_models_never_stop_the_grading(tmp_path, labelled):
    submissions = tmp_path / "submissions"
    submissions.mkdir()
    templates = _templates(tmp_path)
    for kind, path in templates.items():
        for index, data in enumerate(_mutations(path.read_bytes(), 250, seed=len(kind))):
            (submissions / f"fuzz_{kind}_{index:03d}.{kind}").write_bytes(data)
    constant_model(7).save(submissions / "good.keras")
    table = grade(submission_files(submissions), labelled, Limits(**LIMITS)).set_index("submission")
    assert len(table) == 501 and table.loc["good.keras", "status"] == "graded"
    assert table.status.str.match(r"^(graded|refused: .{10,})").all()
    counts = table.status.str.split(":").str[0].value_counts()
    print(f"\n500 mutated files: {counts.to_dict()}")


def test_spreadsheet_safe_escapes_formulas():
    table = pd.DataFrame({"submission": ["=cmd|' /C calc'!A0", "+1", "-2", "@SUM(A1)", "ok.h5"], "accuracy": [1.0] * 5})
    safe = spreadsheet_safe(table)
    assert safe.submission.tolist() == ["'=cmd|' /C calc'!A0", "'+1", "'-2", "'@SUM(A1)", "ok.h5"]
    assert safe.accuracy.tolist() == [1.0] * 5
