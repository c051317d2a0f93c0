"""The SVHN CNN run on disk."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..data.svhn_format import STANDIN_LABEL
from .topology import CnnSpec, shape_trace

if TYPE_CHECKING:  # only for annotations: collecting runs needs no TensorFlow
    from .train import CnnResult


def shape_trace_table(spec: CnnSpec) -> pd.DataFrame:
    rows = [{**row, "output_shape": "x".join(map(str, row["output_shape"]))} for row in shape_trace(spec)]
    return pd.DataFrame(rows, columns=["layer", "output_shape", "parameters"])


def data_source(provenance: dict) -> dict:
    return {
        "dataset": provenance["dataset"],
        "source": provenance["source"],
        "stand_in": bool(provenance.get("stand_in")),
        "files": provenance.get("files", []),
    }


def data_label(provenance: dict) -> str:
    """What every SVHN table says about its data, row by row."""
    return STANDIN_LABEL if provenance.get("stand_in") else f"SVHN ({provenance['source']})"


def save_cnn_run(result: CnnResult, provenance: dict, out) -> None:
    """`out`: the paths by name (h5, keras, history, metrics, confusion), e.g. snakemake.output."""
    result.model.save(out.h5)
    result.model.save(out.keras)
    result.history.assign(data=data_label(provenance)).to_csv(out.history, index=False)
    table = pd.DataFrame(result.confusion, index=pd.Index(range(10), name="true"), columns=[str(d) for d in range(10)])
    table.assign(data=data_label(provenance)).to_csv(out.confusion)
    record = {**result.metrics, "data": data_source(provenance)}
    Path(out.metrics).write_text(json.dumps(record, indent=2) + "\n")


def load_confusion(path: str) -> np.ndarray:
    return pd.read_csv(path, index_col=0)[[str(d) for d in range(10)]].to_numpy()
