import os
import sys
from pathlib import Path

# Jobs import the package installed in their environment: `make setup` installs it into .venv,
# and each conda env installs it after creation (envs/*.post-deploy.sh, which reads
# DIGITSTUDY_ROOT). Only this process, which checks the config below, reads it from the checkout,
# so that a Snakemake installed elsewhere can run the workflow.
os.environ["DIGITSTUDY_ROOT"] = str(workflow.basedir)
sys.path.insert(0, str(Path(workflow.basedir) / "src"))


# Declared, as Snakemake's linter asks for every environment variable the workflow reads.
envvars:
    "DIGITSTUDY_ROOT",


from digitstudy.config import check_config, coerce_overrides
from digitstudy.runtime import memory_mb

SOURCE = Path(workflow.basedir) / "src"
CONFIG_SCHEMA = str(SOURCE / "digitstudy" / "config.schema.yaml")
REPORT_DIR = Path(workflow.basedir) / "report"
DATASETS = ["mnist", "svhn", "usps", "semeion", "fonts"]
WRITERS_SETS = ["usps", "semeion"]  # digitstudy.ex3.leave_one_out.WRITERS_SETS
SOURCE_KEYWORDS = {"auto", "download", "pypi-mirror", "synthetic"}


def local_source(source):
    """A user-supplied file or folder becomes an input, so editing it reruns the rule."""
    return [] if source in SOURCE_KEYWORDS else [source]


def data_targets():
    return [
        *expand("results/data/{dataset}_samples.png", dataset=DATASETS),
        "results/data/datasets.csv",
    ]


def ex1_runs():
    """(activation, depth, seed) of every Exercise 1 training job."""
    ex1 = config["ex1"]
    return [
        (activation, depth, seed)
        for activation in ex1["activations"]
        for depth in ex1["depths"]
        for seed in ex1["seeds"]
    ]


def ex1_run_files(name):
    return [
        f"results/ex1/runs/{activation}/depth{depth}/seed{seed}/{name}"
        for activation, depth, seed in ex1_runs()
    ]


def ex1_run_keys():
    return [
        {"activation": activation, "depth": depth, "seed": seed}
        for activation, depth, seed in ex1_runs()
    ]


def ex1_train_settings():
    """What one training job depends on; the grid lists are left out so that adding a seed
    or a depth does not rerun the jobs that exist."""
    grid_keys = {"activations", "depths", "seeds", "figure_epochs", "lecun_baseline"}
    return {k: v for k, v in config["ex1"].items() if k not in grid_keys}


def ex1_targets():
    return [
        "results/ex1/metrics.csv",
        "results/ex1/scores.csv",
        "results/ex1/scores.png",
        "results/ex1/observations.json",
        "results/ex1/activation_ranges.csv",
        "results/ex1/activations.png",
        *ex1_lecun_targets(),
        *expand(
            "results/ex1/learning_curves_{metric}.png", metric=["accuracy", "loss"]
        ),
        *expand(
            "results/ex1/gradients_epoch{epoch}.png",
            epoch=config["ex1"]["figure_epochs"],
        ),
    ]


def ex1_lecun_targets():
    """Exercise 1 D needs LeCun's runs and its baseline's in the grid."""
    ex1 = config["ex1"]
    if not {"lecun", ex1["lecun_baseline"]} <= set(ex1["activations"]):
        return []
    return [
        "results/ex1/lecun_vs_baseline_scores.csv",
        "results/ex1/lecun_vs_baseline_curves.png",
        "results/ex1/lecun_vs_baseline_untrained_gradients.png",
        "results/ex1/lecun_vs_baseline.json",
    ]


def ex2_train_settings():
    """What the CNN's training depends on (not the seed that picks feature-map images)."""
    return {k: v for k, v in config["ex2"].items() if k != "feature_map_seed"}


def ex2_targets():
    return [
        "results/ex2/shape_trace.csv",
        "results/ex2/metrics.json",
        "results/ex2/training_curves.png",
        "results/ex2/confusion_matrix.png",
        "results/ex2/conv_1_kernels.png",
        "results/ex2/feature_maps",
    ]


def ex3_train_settings():
    """What the recogniser's training depends on: not the predict / evaluate / grade targets,
    so that pointing those at new folders does not retrain the model."""
    return {
        k: v
        for k, v in config["ex3"].items()
        if k not in {"predict", "evaluate", "grade", "photo_benchmark", "leave_one_out"}
    }


def ex3_evaluation_folder(wildcards):
    return config["ex3"]["evaluate"][wildcards.name]


def ex3_targets():
    ex3 = config["ex3"]
    targets = [
        "results/ex3/recogniser.h5",
        "results/ex3/model_card.json",
        "results/ex3/photo_benchmark/summary.json",
    ]
    if ex3["leave_one_out"]:
        targets.append("results/ex3/leave_one_out.csv")
    if ex3["predict"]:
        targets.append("results/ex3/predict/predictions.csv")
    targets += expand(
        "results/ex3/evaluate/{name}/summary.json", name=list(ex3["evaluate"])
    )
    if ex3["grade"]["submissions"] and ex3["grade"]["folder"]:
        targets.append("results/ex3/grade/grades.csv")
    if ex3["cut_sheet"]["photos"]:
        targets.append("results/ex3/cut_sheet")
    return targets


def optional(condition, path):
    """A named input that exists only in some configurations: [] when absent."""
    return path if condition else []


def benchmark_files():
    """The benchmark file of every job in this configuration: the report's runtime table."""
    ex3 = config["ex3"]
    grade = ex3["grade"]
    singles = [
        rules.data_mnist,
        rules.data_svhn_mat,
        rules.data_svhn,
        rules.data_usps,
        rules.data_semeion,
        rules.data_fonts,
        rules.ex2_train,
        rules.ex2_figures,
        rules.ex3_train,
        rules.ex3_photo_render,
        rules.ex3_photo_benchmark,
    ]
    files = [str(rule.benchmark) for rule in singles]
    files += [str(rules.ex1_train.benchmark).format(**key) for key in ex1_run_keys()]
    files += expand(str(rules.ex3_evaluate.benchmark), name=list(ex3["evaluate"]))
    if ex3["leave_one_out"]:
        files += expand(str(rules.ex3_leave_one_out.benchmark), writers=WRITERS_SETS)
    if ex3["predict"]:
        files.append(str(rules.ex3_predict.benchmark))
    if grade["submissions"] and grade["folder"]:
        files.append(str(rules.ex3_grade.benchmark))
    return files


def report_inputs(wildcards=None):
    """Named inputs of the report rules: every file the report reads, by the name under
    which digitstudy.report.render reads it. Optional ones are [] when not run.
    """
    ex3 = config["ex3"]
    lecun = bool(ex1_lecun_targets())
    grade = ex3["grade"]
    return {
        "datasets_csv": "results/data/datasets.csv",
        "data_samples": expand("results/data/{dataset}_samples.png", dataset=DATASETS),
        "data_provenance": expand(
            "resources/{dataset}/provenance.json", dataset=DATASETS
        ),
        # Files of the repository (not of the workdir, which -d may move elsewhere).
        "theory_backprop": str(REPORT_DIR / "theory/ex1_backprop.tex"),
        "theory_lecun": str(REPORT_DIR / "theory/ex1_lecun.tex"),
        "ex1_ranges": "results/ex1/activation_ranges.csv",
        "ex1_activations_png": "results/ex1/activations.png",
        "ex1_scores": "results/ex1/scores.csv",
        "ex1_scores_png": "results/ex1/scores.png",
        "ex1_observations": "results/ex1/observations.json",
        "ex1_learning_curves": expand(
            "results/ex1/learning_curves_{metric}.png", metric=["accuracy", "loss"]
        ),
        "ex1_gradient_figures": expand(
            "results/ex1/gradients_epoch{epoch}.png",
            epoch=config["ex1"]["figure_epochs"],
        ),
        "ex1_lecun_json": optional(lecun, "results/ex1/lecun_vs_baseline.json"),
        "ex1_lecun_scores": optional(lecun, "results/ex1/lecun_vs_baseline_scores.csv"),
        "ex1_lecun_curves": optional(lecun, "results/ex1/lecun_vs_baseline_curves.png"),
        "ex1_lecun_untrained_gradients": optional(
            lecun, "results/ex1/lecun_vs_baseline_untrained_gradients.png"
        ),
        "ex2_shape_trace": "results/ex2/shape_trace.csv",
        "ex2_metrics": "results/ex2/metrics.json",
        "ex2_training_curves": "results/ex2/training_curves.png",
        "ex2_confusion": "results/ex2/confusion_matrix.png",
        "ex2_kernels": "results/ex2/conv_1_kernels.png",
        "ex2_feature_maps": "results/ex2/feature_maps",
        "ex3_model_card": "results/ex3/model_card.json",
        "ex3_web_model": "results/ex3/web_model.json",
        "ex3_photo_benchmark_summary": "results/ex3/photo_benchmark/summary.json",
        "ex3_photo_benchmark_conditions": "results/ex3/photo_benchmark/conditions.csv",
        "ex3_photo_benchmark_examples": "results/ex3/photo_benchmark/examples.png",
        "ex3_contact_sheet": optional(
            ex3["predict"], "results/ex3/predict/contact_sheet.png"
        ),
        "ex3_evaluations": expand(
            "results/ex3/evaluate/{name}/summary.json", name=list(ex3["evaluate"])
        ),
        "ex3_grades": optional(
            grade["submissions"] and grade["folder"], "results/ex3/grade/grades.csv"
        ),
        "benchmarks": benchmark_files(),
    }


def report_targets():
    return [
        "results/report/report.html",
        "results/report/report.tex",
        "results/report/report.pdf",
    ]


def all_targets():
    return (
        data_targets()
        + ex1_targets()
        + ex2_targets()
        + ex3_targets()
        + report_targets()
    )
