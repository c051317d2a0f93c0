# Exercise 1 B+C: one training job per (setup, depth, seed), a setup being an activation with a
# kernel initialiser and an optimiser (digitstudy.ex1.grid), then tables, figures and computed
# observations over the whole grid.


wildcard_constraints:
    setup="|".join(ex1_setups()),
    depth=r"\d+",
    seed=r"\d+",
    epoch=r"\d+",
    metric="accuracy|loss",


localrules:
    ex1_collect,
    ex1_scores,
    ex1_learning_curves,
    ex1_gradient_grid,
    ex1_observations,
    ex1_activations,
    ex1_lecun_comparison,


rule ex1_train:
    input:
        mnist=rules.data_mnist.output.arrays,
    output:
        h5="results/ex1/runs/{setup}/depth{depth}/seed{seed}/model.h5",
        keras="results/ex1/runs/{setup}/depth{depth}/seed{seed}/model.keras",
        history="results/ex1/runs/{setup}/depth{depth}/seed{seed}/history.csv",
        metrics="results/ex1/runs/{setup}/depth{depth}/seed{seed}/metrics.json",
        gradients="results/ex1/runs/{setup}/depth{depth}/seed{seed}/gradients.csv",
    log:
        "logs/ex1_train/{setup}_depth{depth}_seed{seed}.log",
    benchmark:
        "benchmarks/ex1_train/{setup}_depth{depth}_seed{seed}.tsv"
    conda:
        "../envs/train.yaml"
    threads: 1
    resources:
        mem_mb=memory_mb(2000),
        runtime=15,
    params:
        settings=ex1_train_settings(),
        setup=lambda wildcards: ex1_setups()[wildcards.setup].as_dict(),
        # JAX keeps compiled programs here: the jobs of one architecture compile once.
        compilation_cache=".cache/jax",
    # In the background CPU class: these jobs fill the cores around ex3_train (see there).
    script:
        "../scripts/ex1_train.py"


rule ex1_collect:
    input:
        metrics=ex1_run_files("metrics"),
        histories=ex1_run_files("history"),
        gradients=ex1_run_files("gradients"),
    output:
        metrics=report(
            "results/ex1/metrics.csv",
            caption="../report/captions/ex1_metrics.rst",
            category="Exercise 1",
            subcategory="B: test scores",
            labels={"table": "metrics of every run"},
        ),
        histories="results/ex1/histories.csv",
        gradients="results/ex1/gradients.csv",
    log:
        "logs/ex1_collect/ex1_collect.log",
    conda:
        "../envs/analysis.yaml"
    params:
        # Each history's rows are tagged with its run's axes, depth and seed.
        columns=[
            {k: v for k, v in key.items() if k != "setup"} for key in ex1_run_keys()
        ],
    script:
        "../scripts/ex1_collect.py"


rule ex1_scores:
    input:
        metrics=rules.ex1_collect.output.metrics,
        mnist=rules.data_mnist.output.arrays,
        provenance=rules.data_mnist.output.provenance,
    output:
        table=report(
            "results/ex1/scores.csv",
            caption="../report/captions/ex1_scores_table.rst",
            category="Exercise 1",
            subcategory="B: test scores",
            labels={"table": "test scores"},
        ),
        chart=report(
            "results/ex1/scores.png",
            caption="../report/captions/ex1_scores_chart.rst",
            category="Exercise 1",
            subcategory="B: test scores",
            labels={"figure": "test scores"},
        ),
    log:
        "logs/ex1_scores/ex1_scores.log",
    conda:
        "../envs/analysis.yaml"
    script:
        "../scripts/ex1_scores.py"


rule ex1_learning_curves:
    input:
        histories=rules.ex1_collect.output.histories,
        provenance=rules.data_mnist.output.provenance,
    output:
        report(
            "results/ex1/learning_curves_{metric}.png",
            caption="../report/captions/ex1_learning_curves.rst",
            category="Exercise 1",
            subcategory="B: learning curves",
            labels={"figure": "learning curves", "metric": "{metric}"},
        ),
    log:
        "logs/ex1_learning_curves/{metric}.log",
    conda:
        "../envs/analysis.yaml"
    script:
        "../scripts/ex1_learning_curves.py"


rule ex1_gradient_grid:
    input:
        gradients=rules.ex1_collect.output.gradients,
        provenance=rules.data_mnist.output.provenance,
    output:
        report(
            "results/ex1/gradients_epoch{epoch}.png",
            caption="../report/captions/ex1_gradient_grid.rst",
            category="Exercise 1",
            subcategory="C: gradient flow",
            labels={"figure": "layer depth vs max gradient", "epoch": "{epoch}"},
        ),
    log:
        "logs/ex1_gradient_grid/epoch{epoch}.log",
    conda:
        "../envs/analysis.yaml"
    script:
        "../scripts/ex1_gradient_grid.py"


rule ex1_observations:
    input:
        metrics=rules.ex1_collect.output.metrics,
        gradients=rules.ex1_collect.output.gradients,
        mnist=rules.data_mnist.output.arrays,
    output:
        "results/ex1/observations.json",
    log:
        "logs/ex1_observations/ex1_observations.log",
    conda:
        "../envs/analysis.yaml"
    script:
        "../scripts/ex1_observations.py"


# Exercise 1 A+D: derivative ranges of every activation, and LeCun's activation vs its baseline.


rule ex1_activations:
    output:
        table=report(
            "results/ex1/activation_ranges.csv",
            caption="../report/captions/ex1_activation_ranges.rst",
            category="Exercise 1",
            subcategory="A: backpropagation",
            labels={"table": "derivative ranges"},
        ),
        figure=report(
            "results/ex1/activations.png",
            caption="../report/captions/ex1_activations.rst",
            category="Exercise 1",
            subcategory="A: backpropagation",
            labels={"figure": "activations and derivatives"},
        ),
    log:
        "logs/ex1_activations/ex1_activations.log",
    # f' by automatic differentiation of the activations as Keras applies them.
    conda:
        "../envs/train.yaml"
    params:
        activations=ex1_activation_names(),
        backend=config["ex1"]["keras_backend"],
    script:
        "../scripts/ex1_activations.py"


rule ex1_lecun_comparison:
    input:
        metrics=rules.ex1_collect.output.metrics,
        histories=rules.ex1_collect.output.histories,
        gradients=rules.ex1_collect.output.gradients,
        mnist=rules.data_mnist.output.arrays,
        provenance=rules.data_mnist.output.provenance,
    output:
        scores=report(
            "results/ex1/lecun_vs_baseline_scores.csv",
            caption="../report/captions/ex1_lecun_scores.rst",
            category="Exercise 1",
            subcategory="D: LeCun's activation",
            labels={"table": "test scores, LeCun vs baseline"},
        ),
        curves=report(
            "results/ex1/lecun_vs_baseline_curves.png",
            caption="../report/captions/ex1_lecun_curves.rst",
            category="Exercise 1",
            subcategory="D: LeCun's activation",
            labels={"figure": "learning curves, LeCun vs baseline"},
        ),
        gradients=report(
            "results/ex1/lecun_vs_baseline_untrained_gradients.png",
            caption="../report/captions/ex1_lecun_gradients.rst",
            category="Exercise 1",
            subcategory="D: LeCun's activation",
            labels={"figure": "untrained gradients, LeCun vs baseline"},
        ),
        observations="results/ex1/lecun_vs_baseline.json",
    log:
        "logs/ex1_lecun_comparison/ex1_lecun_comparison.log",
    conda:
        "../envs/analysis.yaml"
    params:
        baseline=config["ex1"]["lecun_baseline"],
    script:
        "../scripts/ex1_lecun_comparison.py"
