# Exercise 2: the SVHN CNN (one training job), then its figures. Every SVHN figure and table
# carries the data's provenance; the stand-in is marked on each.


localrules:
    ex2_shape_trace,
    ex2_figures,


rule ex2_shape_trace:
    output:
        report(
            "results/ex2/shape_trace.csv",
            caption="../report/captions/ex2_shape_trace.rst",
            category="Exercise 2",
            subcategory="A: model",
            labels={"table": "layer shapes and parameters"},
        ),
    log:
        "logs/ex2_shape_trace/ex2_shape_trace.log",
    conda:
        "../envs/analysis.yaml"
    params:
        cnn=config["ex2"],
    script:
        "../scripts/ex2_shape_trace.py"


rule ex2_train:
    input:
        svhn=rules.data_svhn.output.arrays,
        provenance=rules.data_svhn.output.provenance,
    output:
        h5="results/ex2/model.h5",
        keras="results/ex2/model.keras",
        history="results/ex2/history.csv",
        metrics=report(
            "results/ex2/metrics.json",
            caption="../report/captions/ex2_metrics.rst",
            category="Exercise 2",
            subcategory="A: training and test",
            labels={"table": "test metrics"},
        ),
        confusion="results/ex2/confusion_matrix.csv",
    log:
        "logs/ex2_train/ex2_train.log",
    benchmark:
        "benchmarks/ex2_train/ex2_train.tsv"
    # The second-longest job: early too (README, "Speed").
    priority: 40
    conda:
        "../envs/train.yaml"
    threads: 2
    resources:
        mem_mb=memory_mb(2500),
        runtime=40,
    params:
        cnn=ex2_train_settings(),
    # In the background CPU class, like ex1_train (see ex3_train).
    script:
        "../scripts/ex2_train.py"


rule ex2_figures:
    input:
        svhn=rules.data_svhn.output.arrays,
        provenance=rules.data_svhn.output.provenance,
        model=rules.ex2_train.output.keras,
        history=rules.ex2_train.output.history,
        metrics=rules.ex2_train.output.metrics,
        confusion=rules.ex2_train.output.confusion,
    output:
        curves=report(
            "results/ex2/training_curves.png",
            caption="../report/captions/ex2_curves.rst",
            category="Exercise 2",
            subcategory="A: training and test",
            labels={"figure": "training curves"},
        ),
        confusion=report(
            "results/ex2/confusion_matrix.png",
            caption="../report/captions/ex2_confusion.rst",
            category="Exercise 2",
            subcategory="A: training and test",
            labels={"figure": "confusion matrix"},
        ),
        kernels=report(
            "results/ex2/conv_1_kernels.png",
            caption="../report/captions/ex2_kernels.rst",
            category="Exercise 2",
            subcategory="B: feature maps",
            labels={"figure": "first-layer kernels"},
        ),
        feature_maps=report(
            directory("results/ex2/feature_maps"),
            patterns=["digit{digit}.png"],
            caption="../report/captions/ex2_feature_maps.rst",
            category="Exercise 2",
            subcategory="B: feature maps",
            labels={"figure": "feature maps", "digit": "{digit}"},
        ),
    log:
        "logs/ex2_figures/ex2_figures.log",
    benchmark:
        "benchmarks/ex2_figures/ex2_figures.tsv"
    conda:
        "../envs/train.yaml"
    resources:
        mem_mb=3000,
    params:
        seed=config["ex2"]["feature_map_seed"],
        backend=config["ex2"]["keras_backend"],
    script:
        "../scripts/ex2_figures.py"
