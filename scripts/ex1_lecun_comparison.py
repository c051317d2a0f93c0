"""Snakemake adapter: Exercise 1 D - LeCun's activation vs its baseline (scores, curves, gradients)."""

import json
from pathlib import Path

import pandas as pd

from digitstudy.data.arrays import load_splits, read_provenance
from digitstudy.ex1.analysis import lecun_vs_baseline, scores_table
from digitstudy.ex1.figures import gradient_grid, lecun_vs_baseline_curves
from digitstudy.runtime import log_to

with log_to(snakemake.log[0]):
    baseline, out = snakemake.params.baseline, snakemake.output
    metrics = pd.read_csv(snakemake.input.metrics)
    gradients = pd.read_csv(snakemake.input.gradients)
    provenance = read_provenance(snakemake.input.provenance)
    scores_table(metrics[metrics.activation.isin(["lecun", baseline])]).to_csv(out.scores, index=False)
    histories = pd.read_csv(snakemake.input.histories)
    lecun_vs_baseline_curves(histories, provenance, baseline).savefig(out.curves, dpi=130)
    gradient_grid(gradients, 0, provenance, activations=[baseline, "lecun"]).savefig(out.gradients, dpi=130)
    facts = lecun_vs_baseline(metrics, gradients, load_splits(snakemake.input.mnist)["test"].labels, baseline)
    Path(out.observations).write_text(json.dumps(facts, indent=2))
