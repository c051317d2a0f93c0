"""Sentences that state results, generated from this run's computed facts.

Nothing here is fixed prose about outcomes: if a rerun with another configuration changes
which networks collapse or how far gradients fall, the sentences change with it.
"""

from __future__ import annotations

from ..data.svhn_format import STANDIN_LABEL, STANDIN_MEANING

NAMES = {
    "relu": "ReLU",
    "tanh": "tanh",
    "sigmoid": "sigmoid",
    "lecun": "LeCun's scaled tanh",
    "elu": "ELU",
    "selu": "SELU",
    "gelu": "GELU",
    "silu": "SiLU",
    "celu": "CELU",
}


def pretty(setup: str) -> str:
    """'relu' -> 'ReLU'; a setup label 'relu, he_normal, adam' -> 'ReLU (he_normal, adam)'."""
    activation, *rest = setup.split(", ")
    return NAMES.get(activation, activation) + (f" ({', '.join(rest)})" if rest else "")


def join(items: list[str]) -> str:
    return ", ".join(items[:-1]) + " and " + items[-1] if len(items) > 1 else "".join(items)


def _by_setup(keys: list[str]) -> str:
    """['relu-40', 'sigmoid-5', 'sigmoid-20'] -> 'ReLU at depth 40 and sigmoid at depths 5 and 20'."""
    grouped: dict[str, list[str]] = {}
    for key in keys:
        activation, depth = key.rsplit("-", 1)
        grouped.setdefault(activation, []).append(depth)
    return join([f"{pretty(a)} at depth{'s' if len(d) > 1 else ''} {join(d)}" for a, d in grouped.items()])


def ex1_scores(facts: dict) -> list[str]:
    chance, configs = facts["chance"], facts["configurations"]
    sentences = [
        f"The most frequent digit in the MNIST test set is {chance['majority_digit']} "
        f"({chance['majority_share']:.2%} of it): a network that always answers it scores "
        f"{chance['majority_share']:.4f}. A run counts as collapsed to chance when its test accuracy is at most "
        f"{chance['threshold']:.4f}."
    ]
    if facts["collapsed"]:
        sentences.append(
            f"Collapsed to chance in every seed: {_by_setup(facts['collapsed'])} "
            f"({len(facts['collapsed'])} of {len(configs)} configurations)."
        )
    else:
        sentences.append(f"No configuration collapsed to chance in every seed (of {len(configs)}).")
    if facts["partly_collapsed"]:
        parts = [
            f"{pretty(c['setup'])} at depth {c['depth']} ({c['runs_at_chance']} of {c['seeds']} seeds)"
            for c in configs
            if f"{c['setup']}-{c['depth']}" in facts["partly_collapsed"]
        ]
        sentences.append(f"Collapsed in some seeds only: {join(parts)}.")
    if best := facts["best"]:
        sentences.append(
            f"The best configuration is {pretty(best['setup'])} at depth {best['depth']}: "
            f"{best['accuracy_mean']:.4f} ± {best['accuracy_std']:.4f} over {best['seeds']} "
            f"seed{'s' if best['seeds'] > 1 else ''}."
        )
    for setup in dict.fromkeys(c["setup"] for c in configs):
        rows = sorted((c for c in configs if c["setup"] == setup), key=lambda c: c["depth"])
        if len(rows) < 2:
            continue
        trend = ", ".join(f"{c['accuracy_mean']:.4f} at depth {c['depth']}" for c in rows)
        change = rows[-1]["accuracy_mean"] - rows[0]["accuracy_mean"]
        span = f"from depth {rows[0]['depth']} to {rows[-1]['depth']}"
        if abs(change) < 0.00005:
            how = f"unchanged {span}"
        else:
            how = f"{'a drop' if change < 0 else 'a rise'} of {abs(change):.4f} {span}"
        sentences.append(f"{pretty(setup)}: {trend} ({how}).")
    if (spread := facts.get("largest_seed_spread")) and spread["seeds"] > 1:
        sentences.append(
            f"The seeds disagree most for {pretty(spread['setup'])} at depth {spread['depth']} "
            f"(std {spread['accuracy_std']:.4f}, from {spread['accuracy_min']:.4f} to {spread['accuracy_max']:.4f})."
        )
    if diverged := [c for c in configs if c["diverged_runs"]]:
        runs = join([f"{pretty(c['setup'])} at depth {c['depth']} ({c['diverged_runs']})" for c in diverged])
        sentences.append(f"Runs whose loss became NaN or infinite: {runs}.")
    return sentences + [s for axis, effects in facts.get("axes", {}).items() for s in ex1_axis(axis, effects)]


AXIS_NAMES = {"activation": "Activation", "kernel_initializer": "Kernel initialiser", "optimizer": "Optimiser"}


def ex1_axis(axis: str, effects: dict) -> list[str]:
    """What trained and what collapsed for each value of one axis of the grid, and where changing
    only this axis decides between the two."""
    counts = [
        f"{pretty(value)} trained in {n['trained']} and collapsed in {n['collapsed']} of {n['configurations']}"
        for value, n in effects["values"].items()
    ]
    sentences = [f"{AXIS_NAMES[axis]}: {join(counts)} configurations (setup and depth; trained: no seed at chance)."]
    if effects["decides"]:
        cases = []
        for decided in effects["decides"]:
            where = dict(decided["where"])
            depth = where.pop("depth")
            context = ", ".join(map(str, where.values())) or "the rest equal"
            trains, collapses = (join([pretty(v) for v in decided[k]]) for k in ("trains_with", "collapses_with"))
            verbs = ["train" if len(decided["trains_with"]) > 1 else "trains"]
            verbs.append("collapse" if len(decided["collapses_with"]) > 1 else "collapses")
            cases.append(f"{trains} {verbs[0]} and {collapses} {verbs[1]} with {context} at depth {depth}")
        sentences.append(f"Where only the {AXIS_NAMES[axis].lower()} differs: {'; '.join(cases)}.")
    return sentences


def _orders_mean(config: dict, epoch: str) -> float | None:
    return config["gradient_first_over_last"].get(epoch, {}).get("orders_of_magnitude_mean")


def ex1_gradients(facts: dict) -> list[str]:
    """How far the largest gradient falls between the output and the first layer."""
    sentences = []
    configs = facts["configurations"]
    epochs = sorted({int(e) for c in configs for e in c["gradient_first_over_last"]})
    if not epochs:
        return ["No gradients were recorded."]
    first, last = str(epochs[0]), str(epochs[-1])
    deepest = max(c["depth"] for c in configs)
    for config in sorted((c for c in configs if c["depth"] == deepest), key=lambda c: c["setup"]):
        start, end = _orders_mean(config, first), _orders_mean(config, last)
        if start is None:
            continue
        direction = "falls" if start > 0 else "grows"
        sentence = (
            f"{pretty(config['setup'])} with {deepest} hidden layers: the largest gradient {direction} by "
            f"{abs(start):.1f} orders of magnitude from the output layer to the first layer at epoch {first}"
        )
        if end is not None and last != first:
            sentence += f", and by {abs(end):.1f} ({'falls' if end > 0 else 'grows'}) at epoch {last}"
        sentences.append(sentence + ".")
    vanishing = [f"{pretty(c['setup'])}-{c['depth']}" for c in configs if (_orders_mean(c, first) or 0) >= 3]
    if vanishing:
        sentences.append(
            f"At epoch {first}, a fall of at least three orders of magnitude (vanishing gradients) occurs in: "
            f"{join(vanishing)}."
        )
    else:
        sentences.append(f"At epoch {first}, no configuration loses three or more orders of magnitude.")
    return sentences


def ex1_derivative_ranges(frame) -> list[str]:
    """From the measured ranges of f' (ex1.analysis.derivative_ranges_table): which activations can
    amplify the error signal on its way back (f' > 1 somewhere), which shrink it at every layer
    (max f' < 1), and where f' changes its sign."""
    if frame.empty:
        return []
    first = frame.iloc[0]
    sentences = [f"f' is measured by automatic differentiation on {first.backend}, on {first.grid}."]
    tolerance = 1e-6  # float32 rounding: 1.0000001 is 1
    above, below = frame["max"] > 1 + tolerance, frame["max"] < 1 - tolerance
    groups = [  # which activations, the bound shown beside each, what it means
        (above, "max", "f' exceeds 1 somewhere for {}: there the activation can amplify the error signal"),
        (~above & ~below, None, "f' is at most 1 for {}: at best the activation passes the error signal on unchanged"),
        (below, "max", "f' stays below 1 for {}: the activation shrinks the error signal at every layer"),
        (frame["min"] < -tolerance, "min", "f' is negative somewhere for {}: there the error signal changes its sign"),
    ]
    for rows, bound, text in groups:
        if rows.any():
            shown = [
                pretty(r.activation) + (f" ({bound} {getattr(r, bound):.4g})" if bound else "")
                for r in frame[rows].itertuples()
            ]
            sentences.append(text.format(join(shown)) + ".")
    return sentences


def ex1_lecun(facts: dict) -> list[str]:
    base, depths = facts["baseline"], facts["depths"]
    if not depths:
        return []
    ratios = ", ".join(f"{d['first_layer_gradient_ratio']:.2f} times at depth {d['depth']}" for d in depths)
    sentences = [
        f"At initialisation, the first layer's largest gradient under LeCun's scaled tanh is, relative to {base}: "
        f"{ratios}."
    ]
    better = [d["depth"] for d in depths if d["accuracy_lecun_mean"] > d[f"accuracy_{base}_mean"]]
    sentences.append(
        f"LeCun's mean test accuracy is higher than {base}'s at "
        + (f"depth{'s' if len(better) > 1 else ''} {join([str(d) for d in better])}" if better else "no depth")
        + f" (of {join([str(d['depth']) for d in depths])})."
    )
    if rescued := [str(d["depth"]) for d in depths if d["lecun_trains_where_baseline_does_not"]]:
        sentences.append(
            f"LeCun trains where {base} stays at chance at depth{'s' if len(rescued) > 1 else ''} {join(rescued)}."
        )
    else:
        stuck = [str(d["depth"]) for d in depths if not d[f"{base}_trains"]]
        sentences.append(
            f"At no depth does LeCun train where {base} stays at chance"
            + (f" ({base} trains at every depth here)." if not stuck else f" (both fail at depth {join(stuck)}).")
        )
    return sentences


def ex2(metrics: dict) -> list[str]:
    per_class = sorted(metrics["per_class"], key=lambda c: c["recall"])
    worst, best = per_class[0], per_class[-1]
    epochs, best_epoch = metrics["epochs"], metrics["best_epoch"]
    if metrics["stopped_early"]:
        stopped = f"Early stopping ended training after {epochs} epochs and restored the weights of epoch {best_epoch}"
    else:
        stopped = f"Training ran the full {epochs} epochs (no early stop); the weights of epoch {best_epoch} were kept"
    sentences = [
        f"{stopped}. Test accuracy: {metrics['test_accuracy']:.4f} on {metrics['test_images']:,} images, "
        f"with {metrics['parameters']:,} parameters.",
        f"The digit recognised least often is {worst['digit']} (recall {worst['recall']:.4f}); "
        f"the most often, {best['digit']} (recall {best['recall']:.4f}).",
    ]
    if metrics["data"]["stand_in"]:
        sentences.append(f"{STANDIN_LABEL}: {STANDIN_MEANING}; they say nothing about accuracy on real house numbers.")
    return sentences


def ex3(card: dict) -> list[str]:
    members = card.get("ensemble_size", 1)
    size = f"{card['parameters']:,} parameters"
    if members != 1:
        size = f"the mean of {members} networks, {size} in all"
    epochs = card["training"]["epochs"]
    sentences = [
        f"The recogniser ({size}) was trained on {join(card['training_data'])} "
        f"({card['training_images']:,} images per epoch) for {epochs} epoch{'s' if epochs != 1 else ''}"
        f"{' each' if members > 1 else ''} in {card['training']['train_seconds']:.0f} s."
    ]
    if blur := card.get("input_blur"):
        tried = ", ".join(blur["validation_loss"])
        sigma = blur["sigma_pixels"]
        chosen = f"a fixed Gaussian blur of its input (sigma {sigma} px)" if sigma > 0 else "no blur of its input"
        sentences.append(f"Of the input blurs tried (sigma {tried} px), the lowest validation loss chose {chosen}.")
    if unsure := card.get("unsure"):
        if temperature := unsure.get("temperature", {}):
            sentences.append(
                "Temperature scaling on the calibration images "
                f"({join([f'{n:,} {k}' for k, n in unsure['calibration_sets'].items()])}) "
                f"divided the networks' logits by {temperature['temperature']:.3f}; their cross-entropy went from "
                f"{temperature['cross_entropy_before']:.4f} to {temperature['cross_entropy_after']:.4f}."
            )
        sentences.append(
            f"Predictions with a confidence below {unsure['below']:.4f} are flagged unsure: on the calibration "
            f"images that threshold flags {unsure['mistakes_flagged']:.0%} of the {unsure['calibration_mistakes']} "
            f"mistakes, {unsure['correct_flagged']:.2%} of the correct answers and {unsure['non_digits_flagged']:.0%} "
            f"of the {unsure['calibration_non_digits']:,} non-digit images."
        )
    for name, r in card["accuracy"].items():
        kind = "writers never seen in training" if r["held_out_writers"] else "test split of a training source"
        sentence = f"{name}: accuracy {r['accuracy']:.4f} on {r['images']:,} images ({kind})"
        if "flagged" in r:
            sentence += f"; {r['flagged']:.2%} of the answers flagged unsure, the others "
            sentence += f"{r['accuracy_not_flagged']:.4f} right"
        sentences.append(sentence + ".")
    if not card["held_out_writers"]:
        sentences.append(
            "No set of held-out writers was available in this run, so generalisation to new writers is not measured."
        )
    return sentences


def grading(frame) -> list[str]:
    graded, refused = frame[frame.status == "graded"], frame[frame.status != "graded"]
    sentences = [f"{len(graded)} of {len(frame)} submissions were graded; {len(refused)} refused."]
    if len(graded):
        top = graded.loc[graded.accuracy.idxmax()]
        sentences.append(f"Best accuracy: {top.accuracy:.4f} ({top.submission}), which defines full marks (40).")
    return sentences + [f"{row.submission}: {row.status}." for row in refused.itertuples()]


def photo_benchmark(summary: dict) -> list[str]:
    sentences = [
        f"Photo benchmark: {summary['overall_accuracy']:.4f} of {summary['images']:,} simulated phone photos of "
        f"{join(summary['sources'])} digits were read correctly; the hardest condition was "
        f"{summary['worst_condition']} ({summary['worst_condition_accuracy']:.4f}).",
        f"A {summary['timing']['image_size'][0]:,}-px photo was read and preprocessed in "
        f"{summary['timing']['decode_and_preprocess_seconds']:.3f} s.",
    ]
    if c := summary.get("combined"):
        sentence = f"Photos where several conditions meet: {c['accuracy']:.4f} of {c['images']:,} read correctly"
        if c.get("answered_accuracy") is not None:
            sentence += f"; {c['flagged_fraction']:.2%} flagged unsure, and the answers not flagged were "
            sentence += f"{c['answered_accuracy']:.4f} right"
        sentences.append(sentence + ".")
    if "polarity_inversions" in summary:
        sentences.append(
            f"The preprocessing took the ink for the paper in {summary['polarity_inversions']} of the "
            f"{summary['images']:,} digit photos."
        )
    if (non_digit := summary.get("non_digit")) and non_digit["images"]:
        sentences.append(
            f"Of {non_digit['images']} photos without a digit, {non_digit['no_digit']} gave no digit, "
            f"{non_digit['flagged']} a digit flagged unsure and {non_digit['answered']} a digit not flagged."
        )
    if photos := summary.get("photos"):
        sentences.append(
            f"Real photos ({photos['folder']}): {photos['correct']} of {photos['images']} read correctly "
            f"({photos['accuracy']:.4f})."
        )
    return sentences
