"""Snakemake adapter: the recogniser's weights for the report's draw-a-digit canvas."""

import json
from pathlib import Path

from digitstudy.keras_setup import select_backend
from digitstudy.runtime import log_to

with log_to(snakemake.log[0]):
    select_backend(snakemake.params.backend)
    import keras

    from digitstudy.ex3.web_model import Unsupported, export

    model = keras.models.load_model(snakemake.input[0], compile=False, safe_mode=True)
    try:
        exported = export(model)
    except Unsupported as error:  # the report says why it has no canvas
        exported = {"unsupported": str(error)}
    Path(snakemake.output[0]).write_text(json.dumps(exported))
    print(exported.get("unsupported", f"{model.count_params():,} parameters exported as float16"))
