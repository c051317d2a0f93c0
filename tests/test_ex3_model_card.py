"""The recogniser's model card: what training recorded, from the run's own numbers."""

import numpy as np
import pandas as pd
import pytest

from digitstudy.data.arrays import Split
from digitstudy.ex3.model_card import build_card, card_markdown
from digitstudy.ex3.recogniser import RecogniserResult, RecogniserSettings
from digitstudy.ex3.training_data import RecogniserData
from digitstudy.settings import schema_defaults
from tests.keras_models import constant_model


def test_card_states_accuracy_per_set_seeds_and_validation_from_the_run():
    settings = RecogniserSettings.from_config({**schema_defaults("ex3"), "ensemble_size": 2, "seed": 5})
    history = pd.DataFrame({"member": [1, 1, 2, 2], "epoch": [1, 2, 1, 2], "val_accuracy": [0.5, 0.91, 0.6, 0.93]})
    result = RecogniserResult(
        constant_model(3),
        history,
        12.34,
        train_images=900,
        validation_images=100,
        input_blur_sigma=0.5,
        validation_loss_by_blur={0.0: 0.2, 0.5: 0.1234567},
        unsure={"below": 0.9},
    )
    images = np.zeros((4, 28, 28), np.uint8)
    data = RecogniserData(
        Split(images, np.zeros(4, int)),
        np.ones(4, int),
        ["mnist train", "semeion (x4)"],
        {"mnist test": Split(images, np.array([3, 3, 3, 1])), "usps test": Split(images, np.array([1, 2, 3, 3]))},
        held_out_writers=["usps test"],
        missing_digit={"mnist test": 0},
        warnings=["USPS train unavailable"],
    )
    provenance = {
        "mnist_provenance": {"source": "pypi-mirror"},
        "usps_provenance": {"source": "local", "available": False},
    }
    card = build_card(result, data, settings, provenance)
    # constant_model(3) answers 3 at confidence 0.9995, above the threshold 0.9: nothing flagged.
    assert card["accuracy"]["mnist test"] == {
        "images": 4,
        "accuracy": 0.75,
        "flagged": 0.0,
        "accuracy_not_flagged": 0.75,
        "held_out_writers": False,
    }
    assert card["accuracy"]["usps test"] == {
        "images": 4,
        "accuracy": 0.5,
        "flagged": 0.0,
        "accuracy_not_flagged": 0.5,
        "held_out_writers": True,
    }
    result.unsure = {"below": 0.9999}
    strict = build_card(result, data, settings, provenance)["accuracy"]["mnist test"]
    assert strict["flagged"] == 1.0 and np.isnan(strict["accuracy_not_flagged"])
    result.unsure = {"below": 0.9}
    assert card["ensemble_size"] == 2 and "mean of 2 Keras CNNs" in card["model"] and "sigma 0.5" in card["model"]
    assert card["training"]["seeds"] == [5, 6] and card["training"]["final_val_accuracy"] == [0.91, 0.93]
    assert card["training"]["train_seconds"] == 12.3 and card["input_blur"]["validation_loss"]["0.5"] == 0.12346
    assert card["data_sources"] == {
        "mnist": {"source": "pypi-mirror", "available": True},
        "usps": {"source": "local", "available": False},
    }
    assert card["warnings"] == ["USPS train unavailable"] and card["unsure"] == {"below": 0.9}
    markdown = card_markdown(card)
    assert (
        "| usps test | 4 | 0.5000 | " in markdown
        and markdown.count("| yes |") == 1
        and "**Warning:** USPS train unavailable" in markdown
    )
    assert card["parameters"] == pytest.approx(7850)
