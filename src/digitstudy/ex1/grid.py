"""The Exercise 1 grid: which networks are trained. A setup is an activation with a kernel
initialiser and an optimiser; every setup is trained at every depth with every seed. Plain Python:
the Snakefile plans the jobs from it without importing Keras.
"""

from __future__ import annotations

import itertools
from dataclasses import asdict, dataclass

# The assignment's choices; a run folder names the initialiser or optimiser only when it differs.
ASSIGNMENT_INITIALIZER = "glorot_uniform"
ASSIGNMENT_OPTIMIZER = "sgd"
AXES = ("activation", "kernel_initializer", "optimizer")


@dataclass(frozen=True)
class Setup:
    activation: str
    kernel_initializer: str = ASSIGNMENT_INITIALIZER
    optimizer: str = ASSIGNMENT_OPTIMIZER
    learning_rate: float = 0.01

    @property
    def slug(self) -> str:
        """Run folder name: relu, relu-he_normal, selu-lecun_normal-adam (names hold no '-')."""
        parts = [self.activation]
        parts += [self.kernel_initializer] if self.kernel_initializer != ASSIGNMENT_INITIALIZER else []
        parts += [self.optimizer] if self.optimizer != ASSIGNMENT_OPTIMIZER else []
        return "-".join(parts)

    def as_dict(self) -> dict:
        return asdict(self)


def learning_rates(ex1: dict) -> dict[str, float]:
    """Optimiser name -> learning rate: an entry of ex1.optimizers may be a name (ex1.learning_rate)
    or {name, learning_rate}."""
    rates = {}
    for entry in ex1["optimizers"]:
        name, rate = (
            (entry, ex1["learning_rate"]) if isinstance(entry, str) else (entry["name"], entry["learning_rate"])
        )
        if name in rates:
            raise ValueError(f"config key 'ex1.optimizers' lists {name!r} twice; allowed: each optimiser once")
        rates[name] = float(rate)
    return rates


def setups(ex1: dict) -> list[Setup]:
    """Every setup of the grid, in config order. Without ex1.setups: activations x kernel_initializers
    x optimizers. With it: each entry names an activation and may fix the initialiser or optimiser;
    an axis it leaves out takes every value of its list."""
    rates = learning_rates(ex1)
    entries = ex1.get("setups") or [{"activation": name} for name in ex1["activations"]]
    found = {}
    for entry in entries:
        initializers = [entry["kernel_initializer"]] if "kernel_initializer" in entry else ex1["kernel_initializers"]
        optimizers = [entry["optimizer"]] if "optimizer" in entry else list(rates)
        for initializer, optimizer in itertools.product(initializers, optimizers):
            rate = rates.get(optimizer, float(ex1["learning_rate"]))
            setup = Setup(entry["activation"], initializer, optimizer, rate)
            found.setdefault(setup.slug, setup)
    return list(found.values())


def activation_names(ex1: dict) -> list[str]:
    """The grid's activations, each once, in config order."""
    return list(dict.fromkeys(setup.activation for setup in setups(ex1)))


def run_columns(setup: Setup) -> dict:
    """The axes that tag a run's rows in the collected tables."""
    return {axis: getattr(setup, axis) for axis in AXES}


def runs(ex1: dict) -> list[dict]:
    """One key per training job: setup (its folder name), its axes, depth and seed."""
    return [
        {"setup": setup.slug, **run_columns(setup), "depth": depth, "seed": seed}
        for setup in setups(ex1)
        for depth in ex1["depths"]
        for seed in ex1["seeds"]
    ]
