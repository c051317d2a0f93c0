"""Snakemake adapter: the leave-one-writers'-set-out rows in one table."""

import pandas as pd

from digitstudy.runtime import log_to

with log_to(snakemake.log[0]):
    table = pd.concat([pd.read_csv(path) for path in snakemake.input], ignore_index=True)
    table.to_csv(snakemake.output[0], index=False)
    print(table.to_string(index=False))
