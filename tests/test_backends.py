"""Every stage on every Keras backend: TensorFlow, JAX, PyTorch. On JAX and PyTorch, TensorFlow is
never imported (a GPU machine may have none)."""

import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from digitstudy.keras_setup import BACKENDS, select_backend

# Tiny versions of what each stage's training does, then saving, safe loading and reading a model.
STAGES = textwrap.dedent("""
    import json, sys
    from digitstudy.keras_setup import configure_keras
    configure_keras(1, 0, sys.argv[1])
    import keras
    import numpy as np
    from digitstudy.data.arrays import Split
    from digitstudy.settings import schema_defaults
    from digitstudy.ex1.grid import Setup
    from digitstudy.ex1.train import TrainSettings, prepare_inputs, train_mlp
    from digitstudy.ex2.topology import CnnSpec
    from digitstudy.ex2.train import CnnTrainSettings, train_cnn
    from digitstudy.ex3.inference import probabilities
    from digitstudy.ex3.recogniser import RecogniserSettings, train_recogniser
    from digitstudy.ex3.safe_load import load_untrusted

    rng = np.random.default_rng(0)
    digits = Split(rng.integers(0, 256, (60, 28, 28), dtype=np.uint8), np.arange(60) % 10)
    ex1 = {**schema_defaults("ex1"), "epochs": 1, "validation_size": 20, "train_subset": 60,
           "gradient_epochs": [0, 1], "figure_epochs": [1, 0]}
    settings = TrainSettings.from_config(ex1)
    mlp = train_mlp(Setup("lecun"), 3, 0, prepare_inputs(digits, digits, settings), settings)
    svhn = Split(rng.integers(0, 256, (80, 32, 32, 3), dtype=np.uint8), np.arange(80) % 10)
    ex2 = {**schema_defaults("ex2"), "max_epochs": 2, "patience": 5, "validation_size": 20}
    cnn = train_cnn(svhn, svhn, CnnSpec.from_config(ex2), CnnTrainSettings.from_config(ex2))
    ex3 = {**schema_defaults("ex3"), "epochs": 1, "batch_size": 16, "validation_size": 10, "ensemble_size": 2,
           "non_digit_photos": 12, "calibration_non_digit_photos": 12}
    recogniser = train_recogniser(digits, RecogniserSettings.from_config(ex3))
    read = {}
    for suffix in (".h5", ".keras"):
        recogniser.model.save(sys.argv[2] + suffix)
        read[suffix] = probabilities(load_untrusted(sys.argv[2] + suffix), digits.images[:5]).tolist()
    print(json.dumps({
        "backend": keras.backend.backend(),
        "tensorflow_imported": sys.modules.get("tensorflow") is not None,
        "gradient_rows": len(mlp.gradients),
        "cnn_epochs": cnn.metrics["epochs"],
        "recogniser_members": int(recogniser.history.member.max()),
        "read": read,
    }))
""")


@pytest.mark.parametrize("backend", ["jax", "torch"])
def test_every_stage_trains_saves_and_reads_without_tensorflow(backend, tmp_path):
    done = subprocess.run(
        [sys.executable, "-c", STAGES, backend, str(tmp_path / "recogniser")], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["backend"] == backend and result["tensorflow_imported"] is False
    assert result["gradient_rows"] > 0 and result["cnn_epochs"] == 2 and result["recogniser_members"] == 2
    h5, keras_file = np.array(result["read"][".h5"]), np.array(result["read"][".keras"])
    assert h5.shape == (5, 10) and np.allclose(h5.sum(axis=1), 1, atol=1e-4)
    np.testing.assert_allclose(h5, keras_file, atol=1e-6)  # both formats hold the same network


def test_unknown_backend_names_the_allowed_ones():
    with pytest.raises(ValueError, match="'pytorch'; allowed: tensorflow, jax, torch"):
        select_backend("pytorch")
    assert BACKENDS == ("tensorflow", "jax", "torch")


def test_a_jax_job_refuses_to_run_beside_an_imported_tensorflow():
    program = "import tensorflow\nfrom digitstudy.keras_setup import select_backend\nselect_backend('jax')"
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True)
    last = done.stderr.strip().splitlines()[-1]
    assert done.returncode != 0 and "tensorflow" in last.lower() and "jax" in last, last


def test_backend_neutral_batches_scale_and_reshuffle_with_their_seed():
    from digitstudy.data.pipelines import _neutral_batches

    images = np.arange(10 * 4, dtype=np.uint8).reshape(10, 2, 2) * 6
    labels = np.arange(10)

    def epochs(seed):
        batches = _neutral_batches(images, labels, 4, seed)
        orders = []
        for _ in range(2):
            assert len(batches) == 3
            parts = [batches[i] for i in range(len(batches))]
            x = np.concatenate([p[0] for p in parts])
            y = np.concatenate([p[1] for p in parts])
            assert x.dtype == np.float32 and x.max() <= 1.0
            np.testing.assert_allclose(x, images[y] / 255.0, rtol=1e-6)
            orders.append(y.tolist())
            batches.on_epoch_end()
        return orders

    first = epochs(3)
    assert sorted(first[0]) == list(range(10)) and first[0] != first[1]  # every image, a new order
    assert epochs(3) == first and epochs(4) != first  # the seed decides
    assert epochs(None)[0] == list(range(10))  # unshuffled: evaluation order
