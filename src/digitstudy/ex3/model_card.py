"""The recogniser's model card: data, preprocessing, training and accuracy per test set."""

from __future__ import annotations

from ..data.arrays import unit_scale
from .calibration import selective_accuracy
from .recogniser import RecogniserResult, RecogniserSettings
from .training_data import RecogniserData


def accuracy_table(model, evaluation: dict, held_out: list[str], unsure_below: float) -> dict:
    """Per test set: images, accuracy, and how many answers the unsure threshold flags and how
    accurate the others are."""
    table = {}
    for name, split in evaluation.items():
        probs = model.predict(unit_scale(split.images[..., None]), batch_size=512, verbose=0)
        table[name] = {**selective_accuracy(probs, split.labels, unsure_below), "held_out_writers": name in held_out}
    return table


# What digitstudy.ex3.preprocess does, in the card's words.
PREPROCESSING = (
    "EXIF orientation applied; grayscale; polarity from the border's level and from what departs "
    "from a wide median (inverted to dark ink on light paper); a margin continuing the paper added; "
    "paper estimated by a morphological closing wider than the strokes and divided out (shadows, "
    "vignetting, grey paper); Otsu threshold; grid and ruled lines (Hough, edge to edge, thin) and "
    "thick dark areas at the image's edge (table, sheet edge) removed; the digit chosen as the "
    "component with the most ink near the middle plus the parts close to it, grown into the fainter "
    "ink joined to it (above the paper's grain); crop to the digit; fit into 20x20 keeping aspect "
    "ratio; centre of mass moved to (14, 14) in 28x28 by whole pixels - digitstudy.ex3.preprocess, "
    "the same code for training, evaluation, prediction, grading"
)


def _model_description(members: int, blur_sigma: float) -> str:
    what = "input 28x28x1 in [0, 1], white digit on black"
    kind = f" (Keras CNN, {what})" if members == 1 else f": the mean of {members} Keras CNNs ({what})"
    blur = f", behind a fixed Gaussian blur of the input (sigma {blur_sigma} px)" if blur_sigma > 0 else ""
    return f"digit_recogniser{kind}{blur}"


def build_card(result: RecogniserResult, data: RecogniserData, settings: RecogniserSettings, provenance: dict) -> dict:
    import keras

    unsure_below = (result.unsure or {}).get("below", 0)
    accuracy = accuracy_table(result.model, data.evaluation, data.held_out_writers, unsure_below)
    last_epochs = result.history.groupby("member").tail(1)
    members = settings.ensemble_size
    return {
        "model": _model_description(members, result.input_blur_sigma),
        "ensemble_size": members,
        "parameters": int(result.model.count_params()),
        "keras_version": keras.__version__,
        "training_data": data.train_sources,
        "training_images": result.train_images,
        "validation_images": result.validation_images,
        "held_out_writers": data.held_out_writers,
        "preprocessing": PREPROCESSING,
        "augmentation": {
            "rotation_degrees": settings.rotation_degrees,
            "zoom": settings.zoom,
            "shear": settings.shear,
            "shift": settings.shift,
            "stroke_change_probability": settings.stroke_change_probability,
            "elastic_displacement_pixels": settings.elastic_displacement,
            "elastic_control_points": settings.elastic_control_points,
            "resampling": "rotation, slant, scale and shift composed with the elastic field; "
            "one bilinear resampling per image",
        },
        "input_blur": {
            "sigma_pixels": result.input_blur_sigma,
            "chosen_by": "lowest loss on the validation images (test sets not used)",
            "validation_loss": {str(s): round(loss, 5) for s, loss in (result.validation_loss_by_blur or {}).items()},
        },
        "unsure": result.unsure,
        "training": {
            "epochs": settings.epochs,
            "batch_size": settings.batch_size,
            "optimizer": f"Adam, cosine decay from {settings.learning_rate}",
            "seeds": [settings.seed + member for member in range(members)],
            "train_seconds": round(result.train_seconds, 1),
            # Per member: the validation images are MNIST/other-writer images it did not train on.
            "final_val_accuracy": [round(float(v), 4) for v in last_epochs.val_accuracy],
        },
        "accuracy": accuracy,
        "images_without_digit": data.missing_digit,
        "data_sources": {
            name.replace("_provenance", ""): {"source": p["source"], "available": p.get("available", True)}
            for name, p in provenance.items()
        },
        "warnings": data.warnings,
    }


def card_markdown(card: dict) -> str:
    """model_card.md: the card, its leave-one-set-out table and the photo benchmark (when run)."""
    from .markdown import markdown

    return markdown("model_card.md.j2", card=card, summary=card.get("photo_benchmark"))
