import os
import sys
from pathlib import Path

# Jobs import the package installed in their environment: `make setup` installs it into .venv,
# and each conda env installs it after creation (envs/*.post-deploy.sh, which reads
# DIGITSTUDY_ROOT). Only this process, which checks the config below, reads it from the checkout,
# so that a Snakemake installed elsewhere can run the workflow.
os.environ["DIGITSTUDY_ROOT"] = str(workflow.basedir)
# Jobs preprocess and augment small images one batch at a time, often beside other jobs: OpenCV's
# thread pool then costs more CPU than it saves (2.3x the CPU time for the same images on two
# cores, identical results). Read by OpenCV when it starts; a user's own value wins.
os.environ.setdefault("OPENCV_FOR_THREADS_NUM", "1")
SOURCE = Path(workflow.basedir) / "src"
sys.path.insert(0, str(SOURCE))


# Declared, as Snakemake's linter asks for every environment variable the workflow reads.
envvars:
    "DIGITSTUDY_ROOT",


from digitstudy.config import validated_config
from digitstudy.data.sets import DATASETS, WRITERS_SETS
from digitstudy.ex1 import grid as ex1_grid
from digitstudy.runtime import memory_mb

CONFIG_SCHEMA = str(SOURCE / "digitstudy" / "config.schema.yaml")
REPORT_DIR = Path(workflow.basedir) / "report"
SOURCE_KEYWORDS = {"auto", "download", "pypi-mirror", "synthetic"}


def local_source(source):
    """A user-supplied file or folder becomes an input, so editing it reruns the rule."""
    return [] if source in SOURCE_KEYWORDS else [source]


def dataset_rule(dataset):
    return getattr(rules, f"data_{dataset}")


def dataset_files(wildcards):
    """The arrays and provenance that rule data_<dataset> writes."""
    output = dataset_rule(wildcards.dataset).output
    return {"arrays": output.arrays, "provenance": output.provenance}


def dataset_provenances():
    return [dataset_rule(dataset).output.provenance for dataset in DATASETS]


def ex1_run_files(name):
    """Output `name` of rule ex1_train, for every job of the grid."""
    return [
        getattr(rules.ex1_train.output, name).format(**key) for key in ex1_run_keys()
    ]


def ex1_run_keys():
    """setup (its folder name), depth and seed of every Exercise 1 training job."""
    return ex1_grid.runs(config["ex1"])


def ex1_setups():
    """Folder name -> setup (activation, kernel_initializer, optimizer, learning_rate)."""
    return {setup.slug: setup for setup in ex1_grid.setups(config["ex1"])}


def ex1_activation_names():
    return ex1_grid.activation_names(config["ex1"])


def ex1_train_settings():
    """What one training job depends on besides its setup; the grid lists are left out so that
    adding a seed, a depth or a setup does not rerun the jobs that exist."""
    grid_keys = {"activations", "depths", "seeds", "figure_epochs", "lecun_baseline"}
    grid_keys |= {"kernel_initializers", "optimizers", "setups", "learning_rate"}
    return {k: v for k, v in config["ex1"].items() if k not in grid_keys}


def ex1_lecun_requested():
    """Exercise 1 D needs LeCun's runs and its baseline's in the grid."""
    return {"lecun", config["ex1"]["lecun_baseline"]} <= set(ex1_activation_names())


def ex2_train_settings():
    """What the CNN's training depends on (not the seed that picks feature-map images)."""
    return {k: v for k, v in config["ex2"].items() if k != "feature_map_seed"}


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


def grading_requested():
    grade = config["ex3"]["grade"]
    return bool(grade["submissions"] and grade["folder"])


def optional(condition, path):
    """A named input that exists only in some configurations: [] when absent."""
    return path if condition else []


def benchmark_files():
    """The benchmark file of every job in this configuration: the report's runtime table."""
    ex3 = config["ex3"]
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
    if grading_requested():
        files.append(str(rules.ex3_grade.benchmark))
    return files


def report_inputs(wildcards=None):
    """Named inputs of the report rules: every file the report reads, by the name under
    which digitstudy.report.render reads it, as the rules that make them declare it.
    Optional ones are [] when not run.
    """
    ex3 = config["ex3"]
    lecun = ex1_lecun_requested()
    lecun_outputs = rules.ex1_lecun_comparison.output
    evaluations = list(ex3["evaluate"])
    return {
        "datasets_csv": rules.data_counts.output[0],
        "data_samples": expand(rules.data_samples.output[0], dataset=DATASETS),
        "data_provenance": dataset_provenances(),
        # Files of the repository (not of the workdir, which -d may move elsewhere).
        "theory_backprop": str(REPORT_DIR / "theory/ex1_backprop.tex"),
        "theory_lecun": str(REPORT_DIR / "theory/ex1_lecun.tex"),
        "ex1_ranges": rules.ex1_activations.output.table,
        "ex1_activations_png": rules.ex1_activations.output.figure,
        "ex1_scores": rules.ex1_scores.output.table,
        "ex1_scores_png": rules.ex1_scores.output.chart,
        "ex1_observations": rules.ex1_observations.output[0],
        "ex1_learning_curves": expand(
            rules.ex1_learning_curves.output[0], metric=["accuracy", "loss"]
        ),
        "ex1_gradient_figures": expand(
            rules.ex1_gradient_grid.output[0], epoch=config["ex1"]["figure_epochs"]
        ),
        "ex1_lecun_json": optional(lecun, lecun_outputs.observations),
        "ex1_lecun_scores": optional(lecun, lecun_outputs.scores),
        "ex1_lecun_curves": optional(lecun, lecun_outputs.curves),
        "ex1_lecun_untrained_gradients": optional(lecun, lecun_outputs.gradients),
        "ex2_shape_trace": rules.ex2_shape_trace.output[0],
        "ex2_metrics": rules.ex2_train.output.metrics,
        "ex2_training_curves": rules.ex2_figures.output.curves,
        "ex2_confusion": rules.ex2_figures.output.confusion,
        "ex2_kernels": rules.ex2_figures.output.kernels,
        "ex2_feature_maps": rules.ex2_figures.output.feature_maps,
        "ex3_model_card": rules.ex3_model_card.output.json,
        "ex3_web_model": rules.ex3_web_model.output[0],
        "ex3_photo_benchmark_summary": rules.ex3_photo_benchmark.output.summary,
        "ex3_photo_benchmark_conditions": rules.ex3_photo_benchmark.output.table,
        "ex3_photo_benchmark_examples": rules.ex3_photo_render.output.examples,
        "ex3_contact_sheet": optional(ex3["predict"], rules.ex3_predict.output.sheet),
        "ex3_evaluations": expand(rules.ex3_evaluate.output.summary, name=evaluations),
        "ex3_evaluation_confusions": expand(
            rules.ex3_evaluate.output.confusion, name=evaluations
        ),
        "ex3_evaluation_mistakes": expand(
            rules.ex3_evaluate.output.mistakes, name=evaluations
        ),
        "ex3_grades": optional(grading_requested(), rules.ex3_grade.output[0]),
        "benchmarks": benchmark_files(),
    }


def all_targets():
    """The report (which reads every result) and what it does not show."""
    ex3 = config["ex3"]
    targets = [
        rules.report_render.output.html,
        rules.report_pdf.output[0],
        rules.ex3_train.output.h5,
        rules.ex3_model_card.output.markdown,
    ]
    if ex3["leave_one_out"]:
        targets.append(rules.ex3_leave_one_out_table.output[0])
    if ex3["predict"]:
        targets.append(rules.ex3_predict.output.table)
    if ex3["cut_sheet"]["photos"]:
        targets.append(rules.ex3_cut_sheet.output[0])
    return targets
