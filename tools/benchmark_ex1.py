"""Benchmark: the workflow's trainer against plain `model.fit` as the assignment's snippet uses it.

Both train the same configurations, from the same seeds, on the same data, for the same epochs;
the baseline is measured in the same run, so the printed ratio compares like with like on
whatever machine runs it. It also reports whether both produced the same weights.

    python -m tools.benchmark_ex1 --mnist resources/mnist/mnist.npz   # about 8 minutes on 2 cores
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import time
from dataclasses import replace


def plain_fit(activation: str, depth: int, seed: int, data, epochs: int, settings):
    """The snippet: compile with defaults, fit with a progress bar, validate every epoch."""
    import keras

    from digitstudy.ex1.mlp import build_mlp
    from digitstudy.ex1.train import compile_mlp

    keras.utils.set_random_seed(seed)
    model = build_mlp(depth, activation, units=settings.units)
    compile_mlp(model, replace(settings, steps_per_execution=1))  # Keras' default: one step per call
    started = time.perf_counter()
    with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):
        model.fit(data.x_train, data.y_train, epochs=epochs, validation_data=(data.x_val, data.y_val))
    return time.perf_counter() - started, model


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mnist", default="resources/mnist/mnist.npz", help="MNIST in the workflow's npz format")
    parser.add_argument("--activations", nargs="+", default=["tanh"])
    parser.add_argument("--depths", nargs="+", type=int, default=[5, 20, 40])
    parser.add_argument(
        "--epochs", type=int, default=20, help="the workflow's default; fewer epochs weigh compile time more"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--backend", choices=["jax", "tensorflow"], default="jax", help="Keras backend of both")
    args = parser.parse_args(argv)

    from digitstudy.keras_setup import configure_keras

    configure_keras(args.threads, args.seed, args.backend)
    import numpy as np

    from digitstudy.data.arrays import load_splits
    from digitstudy.settings import schema_defaults
    from digitstudy.ex1.train import TrainSettings, prepare_inputs, train_mlp

    defaults = schema_defaults("ex1")
    settings = TrainSettings.from_config(
        {
            **defaults,
            "epochs": args.epochs,
            "gradient_epochs": [e for e in defaults["gradient_epochs"] if e <= args.epochs],
        }
    )
    splits = load_splits(args.mnist)
    data = prepare_inputs(splits["train"], splits["test"], settings)
    print(f"{'configuration':<16}{'plain fit s':>12}{'workflow s':>12}{'ratio':>8}  same weights")
    totals = [0.0, 0.0]
    for activation in args.activations:
        for depth in args.depths:
            plain_seconds, plain_model = plain_fit(activation, depth, args.seed, data, args.epochs, settings)
            started = time.perf_counter()
            with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):
                ours = train_mlp(activation, depth, args.seed, data, settings)
            ours_seconds = time.perf_counter() - started
            same = all(np.array_equal(a, b) for a, b in zip(plain_model.get_weights(), ours.model.get_weights()))
            totals[0] += plain_seconds
            totals[1] += ours_seconds
            print(
                f"{activation + '-' + str(depth):<16}{plain_seconds:>12.1f}{ours_seconds:>12.1f}"
                f"{plain_seconds / ours_seconds:>8.2f}  {'yes' if same else 'NO'}",
                flush=True,
            )
    print(f"{'total':<16}{totals[0]:>12.1f}{totals[1]:>12.1f}{totals[0] / totals[1]:>8.2f}")
    print(
        f"ratio: the workflow's trainer is {totals[0] / totals[1]:.2f}x as fast as plain model.fit "
        f"({args.epochs} epochs, {args.threads} thread(s); workflow time includes its gradient "
        f"snapshots and test evaluation)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
