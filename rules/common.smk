import os
import sys
from pathlib import Path

# Jobs import the project's package from this checkout, so that they also work in conda
# environments and on cluster nodes where it is not pip-installed.
PACKAGE_DIR = str(Path(workflow.basedir) / "src")
sys.path.insert(0, PACKAGE_DIR)
os.environ["PYTHONPATH"] = os.pathsep.join(
    p for p in (PACKAGE_DIR, os.environ.get("PYTHONPATH")) if p
)


# Declared so that cluster and remote jobs receive it too.
envvars:
    "PYTHONPATH",


from digitstudy.config import check_config

CONFIG_SCHEMA = str(Path(workflow.basedir) / "schemas" / "config.schema.yaml")
DATASETS = ["mnist", "svhn", "usps", "semeion"]
SOURCE_KEYWORDS = {"auto", "download", "pypi-mirror", "synthetic"}


wildcard_constraints:
    dataset="|".join(DATASETS),


def local_source(source):
    """A user-supplied file or folder becomes an input, so editing it reruns the rule."""
    return [] if source in SOURCE_KEYWORDS else [source]


def data_targets():
    return [
        *expand("results/data/{dataset}_samples.png", dataset=DATASETS),
        "results/data/datasets.csv",
    ]


def all_targets():
    return data_targets()
