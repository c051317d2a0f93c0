"""The Exercise 3 recogniser: small three-stage CNNs trained on MNIST plus the configured sets of
other writers, with augmentation, every image passed through the same preprocessing as own
digits, and averaged when there are several. Sets left out of training measure generalisation.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

import cv2
import numpy as np
import pandas as pd

from ..data.arrays import Split, unit_scale
from ..data.pipelines import uint8_batches
from ..data.splits import random_split
from ..settings import FromConfig
from .augmentation import augmenter


@dataclass(frozen=True)
class RecogniserSettings(FromConfig):
    epochs: int
    batch_size: int
    learning_rate: float
    seed: int
    rotation_degrees: float
    zoom: float
    shear: float
    shift: float
    stroke_change_probability: float
    elastic_displacement: float
    elastic_control_points: int
    validation_size: int
    ensemble_size: int
    input_blur_sigmas: tuple[float, ...]


def build_recogniser():
    """Three conv stages (28 -> 14 -> 7 -> 3) with batch norm, then a small dense head.

    Sized for the time budget: ~8M multiply-adds per image (a 32/64-filter VGG pair at full
    resolution costs ~18M and ran 176 s per epoch on 2 cores)."""
    import keras

    layers = keras.layers

    def conv_block(filters, kernel):
        # No bias: the batch norm that follows has its own offset.
        return [
            layers.Conv2D(filters, kernel, padding="same", use_bias=False),
            layers.BatchNormalization(),
            layers.Activation("relu"),
        ]

    return keras.Sequential(
        [
            keras.Input((28, 28, 1), name="digit"),
            *conv_block(32, 5),
            layers.MaxPooling2D(2),
            *conv_block(64, 3),
            layers.MaxPooling2D(2),
            *conv_block(128, 3),
            layers.MaxPooling2D(2),
            layers.Flatten(),
            layers.Dropout(0.4),
            layers.Dense(128, activation="relu"),
            layers.Dropout(0.4),
            layers.Dense(10, activation="softmax"),
        ],
        name="digit_recogniser",
    )


@dataclass
class RecogniserResult:
    model: object
    history: pd.DataFrame  # one row per member and epoch
    train_seconds: float
    train_images: int  # images shown per epoch (with the copies of repeated sets)
    validation_images: int
    input_blur_sigma: float = 0.0  # Gaussian blur the model applies to its input (0: none)
    validation_loss_by_blur: dict[float, float] | None = None  # how it was chosen
    unsure: dict | None = None  # the confidence below which a prediction is flagged, and how it was chosen


def average_of(members: list, name: str = "digit_recogniser"):
    """One model whose output is the mean of its members' class probabilities. Built from
    Keras' own layers only (Functional + Average), so it saves to .h5 and .keras and passes the
    grader's allow-list like any single network."""
    import keras

    if len(members) == 1:
        return members[0]
    digit = keras.Input((28, 28, 1), name="digit")
    return keras.Model(digit, keras.layers.Average(name="mean_probability")([m(digit) for m in members]), name=name)


def input_blur_layer(sigma: float):
    """A frozen 5x5 Gaussian blur (DepthwiseConv2D: a built-in layer, so a model holding it
    stays loadable by the grader and any Keras)."""
    import keras

    blur = keras.layers.DepthwiseConv2D(5, padding="same", use_bias=False, trainable=False, name="input_blur")
    blur.build((None, 28, 28, 1))
    line = cv2.getGaussianKernel(5, sigma)
    blur.set_weights([(line @ line.T).astype(np.float32)[:, :, None, None]])
    return blur


def with_input_blur(model, sigma: float, name: str = "digit_recogniser"):
    """`model` behind input_blur_layer(sigma); sigma 0: `model` itself."""
    import keras

    if sigma <= 0:
        return model
    model.name = "sharp_input_recogniser"  # the wrapper takes the name
    digit = keras.Input((28, 28, 1), name="digit")
    return keras.Model(digit, model(input_blur_layer(sigma)(digit)), name=name)


def choose_input_blur(model, images: np.ndarray, labels: np.ndarray, sigmas) -> tuple[float, dict[float, float]]:
    """Training images are resampled by the augmentation, which softens them; test images are
    not. The blur that brings the two together is the one with the lowest loss on the (never
    augmented, never trained on) validation images; the test sets play no part in the choice.
    Ties go to the smaller blur. Returns (sigma, {sigma: validation loss})."""
    import keras

    x = unit_scale(images[..., None])
    losses = {}
    for sigma in sorted({float(s) for s in sigmas} or {0.0}):
        inputs = input_blur_layer(sigma)(x) if sigma > 0 else x
        probs = model.predict(inputs, batch_size=512, verbose=0)
        losses[sigma] = float(np.mean(keras.losses.sparse_categorical_crossentropy(labels, probs)))
    best = min(losses, key=lambda sigma: (round(losses[sigma], 6), sigma))
    return best, losses


def choose_unsure_threshold(probs: np.ndarray, labels: np.ndarray, share_of_mistakes: float = 0.9) -> dict:
    """The confidence below which a prediction is flagged "unsure": the `share_of_mistakes`
    quantile of the confidence of the validation mistakes. Returns it with what it flags on the
    validation images (share of mistakes and of correct predictions). No mistakes: nothing flagged."""
    confidence = probs.max(axis=1)
    wrong = probs.argmax(axis=1) != labels
    below = float(np.quantile(confidence[wrong], share_of_mistakes)) if wrong.any() else 0.0
    flagged = confidence < below
    return {
        "below": round(below, 4),
        "chosen_by": f"the {share_of_mistakes:.0%} quantile of the confidence of the mistakes on the validation images",
        "validation_images": int(len(labels)),
        "validation_mistakes": int(wrong.sum()),
        "mistakes_flagged": float(flagged[wrong].mean()) if wrong.any() else 0.0,
        "correct_flagged": float(flagged[~wrong].mean()) if (~wrong).any() else 0.0,
    }


def train_recogniser(train: Split, settings: RecogniserSettings, copies: np.ndarray | None = None) -> RecogniserResult:
    """`train` must already be in MNIST geometry (preprocess.to_mnist_geometry); `copies[i]` is how often
    image i is shown per epoch (default once). Validation images are drawn before the copies
    are made. With `ensemble_size` > 1, that many networks are trained from different seeds
    (initial weights, order, augmentation) on the same split, and averaged."""
    import keras

    train_idx, val_idx = random_split(len(train.labels), settings.validation_size, settings.seed)
    if copies is not None:
        train_idx = np.repeat(train_idx, copies[train_idx])

    def dataset(indices, shuffle_seed):
        data = uint8_batches(train.images[indices][..., None], train.labels[indices], settings.batch_size,
                             shuffle_seed=shuffle_seed)
        return data if shuffle_seed is None else data.map(augmenter(replace(settings, seed=shuffle_seed)))

    steps = settings.epochs * int(np.ceil(len(train_idx) / settings.batch_size))
    members, histories = [], []
    started = time.perf_counter()
    for member in range(settings.ensemble_size):
        seed = settings.seed + member
        keras.utils.set_random_seed(seed)
        model = build_recogniser()
        if settings.ensemble_size > 1:
            model.name = f"member_{member + 1}"
        schedule = keras.optimizers.schedules.CosineDecay(settings.learning_rate, decay_steps=steps, alpha=0.02)
        model.compile(optimizer=keras.optimizers.Adam(schedule), loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"])
        print(f"member {member + 1} of {settings.ensemble_size} (seed {seed})", flush=True)
        fit = model.fit(dataset(train_idx, seed), validation_data=dataset(val_idx, None), epochs=settings.epochs,
                        shuffle=False, verbose=2)
        history = pd.DataFrame(fit.history)
        history.insert(0, "epoch", np.arange(1, len(history) + 1))
        history.insert(0, "member", member + 1)
        members.append(model)
        histories.append(history)
    model = average_of(members)
    sigma, losses = choose_input_blur(model, train.images[val_idx], train.labels[val_idx], settings.input_blur_sigmas)
    model = with_input_blur(model, sigma)
    validation_probs = model.predict(unit_scale(train.images[val_idx][..., None]), batch_size=512, verbose=0)
    unsure = choose_unsure_threshold(validation_probs, train.labels[val_idx])
    return RecogniserResult(model, pd.concat(histories, ignore_index=True), time.perf_counter() - started,
                            len(train_idx), len(val_idx), sigma, losses, unsure)


def accuracy_on(model, images: np.ndarray, labels: np.ndarray) -> float:
    if len(labels) == 0:
        return float("nan")
    probs = model.predict(unit_scale(images[..., None]), batch_size=512, verbose=0)
    return float((probs.argmax(axis=1) == labels).mean())
