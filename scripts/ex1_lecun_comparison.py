"""Snakemake adapter: Exercise 1 D - LeCun's activation vs its baseline (scores, curves, gradients)."""

import json
from pathlib import Path

import pandas as pd

from digitstudy.data.arrays import load_splits, read_provenance
from digitstudy.ex1.analysis import comparison_subset, lecun_vs_baseline, scores_table
from digitstudy.ex1.figures import gradient_grid, lecun_vs_baseline_curves
from digitstudy.runtime import log_to

with log_to(snakemake.log[0]):
    baseline, out = snakemake.params.baseline, snakemake.output
    tables = [pd.read_csv(snakemake.input[name]) for name in ("metrics", "histories", "gradients")]
    # Under one initialiser and optimiser, the assignment's where the grid has them.
    (metrics, histories, gradients), setup = comparison_subset(tables, [baseline, "lecun"])
    provenance = read_provenance(snakemake.input.provenance)
    scores_table(metrics).to_csv(out.scores, index=False)
    lecun_vs_baseline_curves(histories, provenance, baseline).savefig(out.curves, dpi=130)
    gradient_grid(gradients, 0, provenance, activations=[baseline, "lecun"]).savefig(out.gradients, dpi=130)
    facts = lecun_vs_baseline(metrics, gradients, load_splits(snakemake.input.mnist)["test"].labels, baseline)
    facts.update(setup)
    Path(out.observations).write_text(json.dumps(facts, indent=2))
