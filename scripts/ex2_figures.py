"""Snakemake adapter: training curves, confusion matrix, first-layer kernels and feature maps."""

import json
from pathlib import Path

from digitstudy.runtime import log_to
from digitstudy.keras_setup import configure_job

with log_to(snakemake.log[0]):
    configure_job(snakemake, snakemake.params.seed, snakemake.params.backend)

    import keras
    import pandas as pd

    from digitstudy.data.arrays import load_splits, read_provenance, unit_scale
    from digitstudy.ex2.features import feature_maps, pick_one_per_class
    from digitstudy.ex2.figures import confusion_figure, feature_maps_figure, kernels_figure, training_curves
    from digitstudy.ex2.runs import load_confusion

    provenance = read_provenance(snakemake.input.provenance)
    metrics = json.loads(Path(snakemake.input.metrics).read_text())
    training_curves(pd.read_csv(snakemake.input.history), metrics["best_epoch"], provenance).savefig(
        snakemake.output.curves, dpi=130
    )
    confusion_figure(load_confusion(snakemake.input.confusion), provenance).savefig(snakemake.output.confusion, dpi=130)
    model = keras.models.load_model(snakemake.input.model, safe_mode=True)
    kernels_figure(keras.ops.convert_to_numpy(model.get_layer("conv_1").kernel), provenance).savefig(
        snakemake.output.kernels, dpi=130
    )
    test = load_splits(snakemake.input.svhn)["test"]
    chosen = pick_one_per_class(test.labels, snakemake.params.seed)
    out_dir = Path(snakemake.output.feature_maps)
    out_dir.mkdir(parents=True, exist_ok=True)
    for digit, index in chosen.items():
        maps = feature_maps(model, unit_scale(test.images[index : index + 1]))
        figure = feature_maps_figure(test.images[index], {k: v[0] for k, v in maps.items()}, digit, index, provenance)
        figure.savefig(out_dir / f"digit{digit}.png", dpi=110)
