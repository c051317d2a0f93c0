# Exercise 3: the handwritten-digit recogniser, its model card, and (from config) predictions,
# evaluations and grading through the shared preprocessing.


wildcard_constraints:
    writers="|".join(WRITERS_SETS),


rule ex3_train:
    input:
        mnist_arrays=rules.data_mnist.output.arrays,
        mnist_provenance=rules.data_mnist.output.provenance,
        fonts_arrays=rules.data_fonts.output.arrays,
        fonts_provenance=rules.data_fonts.output.provenance,
        usps_arrays=rules.data_usps.output.arrays,
        usps_provenance=rules.data_usps.output.provenance,
        semeion_arrays=rules.data_semeion.output.arrays,
        semeion_provenance=rules.data_semeion.output.provenance,
    output:
        h5="results/ex3/recogniser.h5",
        keras="results/ex3/recogniser.keras",
        history="results/ex3/history.csv",
        card="results/ex3/training_card.json",
    log:
        "logs/ex3_train/ex3_train.log",
    benchmark:
        "benchmarks/ex3_train/ex3_train.tsv"
    # The longest chain (ex3_train, then the photo benchmark): started first, so that the many
    # short Exercise 1 jobs fill the cores around it instead of delaying it to the end. The
    # other heavy jobs run in the background CPU class (their scripts call runtime.yield_cpu),
    # so they get only the CPU time it leaves (README, "Speed").
    priority: 50
    conda:
        "../envs/train.yaml"
    threads: 2
    resources:
        mem_mb=memory_mb(3500),
        runtime=45,
    params:
        settings=ex3_train_settings(),
    script:
        "../scripts/ex3_train.py"


# The photo benchmark in two halves: rendering and preprocessing the photos needs no network, so
# it runs while the recogniser trains; only scoring waits for the model, and takes seconds.
rule ex3_photo_render:
    input:
        mnist_arrays=rules.data_mnist.output.arrays,
        usps_arrays=rules.data_usps.output.arrays,
        usps_provenance=rules.data_usps.output.provenance,
    output:
        rendered="results/ex3/photo_benchmark/rendered.npz",
        examples=report(
            "results/ex3/photo_benchmark/examples.png",
            caption="../report/captions/ex3_photo_benchmark.rst",
            category="Exercise 3",
            subcategory="Photo benchmark",
            labels={"figure": "simulated photos"},
        ),
    log:
        "logs/ex3_photo_render/ex3_photo_render.log",
    benchmark:
        "benchmarks/ex3_photo_render/ex3_photo_render.tsv"
    # Before the Exercise 1 jobs: at equal priority they went first, and this one ran at the end,
    # beside ex2_train, where single-core Exercise 1 jobs fill the gaps better.
    priority: 45
    conda:
        "../envs/train.yaml"
    threads: 1
    resources:
        mem_mb=memory_mb(1500),
        runtime=20,
    params:
        settings=config["ex3"]["photo_benchmark"],
    # In the background CPU class, like ex1_train (see ex3_train).
    script:
        "../scripts/ex3_photo_render.py"


rule ex3_photo_benchmark:
    input:
        model=rules.ex3_train.output.keras,
        card=rules.ex3_train.output.card,
        rendered=rules.ex3_photo_render.output.rendered,
    output:
        table="results/ex3/photo_benchmark/conditions.csv",
        summary="results/ex3/photo_benchmark/summary.json",
    log:
        "logs/ex3_photo_benchmark/ex3_photo_benchmark.log",
    benchmark:
        "benchmarks/ex3_photo_benchmark/ex3_photo_benchmark.tsv"
    priority: 50
    conda:
        "../envs/train.yaml"
    # One thread for seconds of scoring: a two-core job waits until two cores are free at once,
    # which the single-core Exercise 1 jobs rarely leave (see data_mnist).
    threads: 1
    resources:
        mem_mb=memory_mb(2000),
        runtime=10,
    params:
        settings=config["ex3"]["photo_benchmark"],
        backend=config["ex3"]["keras_backend"],
    script:
        "../scripts/ex3_photo_benchmark.py"


# Leave one writers' set out: the recipe trained without it, then read on it (one training each;
# a set that could not be had gives a row saying so and trains nothing).
rule ex3_leave_one_out:
    input:
        **rules.ex3_train.input,
    output:
        "results/ex3/leave_one_out/{writers}.csv",
    log:
        "logs/ex3_leave_one_out/{writers}.log",
    benchmark:
        "benchmarks/ex3_leave_one_out/{writers}.tsv"
    conda:
        "../envs/train.yaml"
    threads: 2
    resources:
        # More than ex3_train: the other writers' sets join the training (3.4 GB measured with USPS).
        mem_mb=memory_mb(4500),
        runtime=45,
    params:
        settings=ex3_train_settings(),
    script:
        "../scripts/ex3_leave_one_out.py"


rule ex3_leave_one_out_table:
    input:
        expand(rules.ex3_leave_one_out.output[0], writers=WRITERS_SETS),
    output:
        report(
            "results/ex3/leave_one_out.csv",
            caption="../report/captions/ex3_leave_one_out.rst",
            category="Exercise 3",
            subcategory="Recogniser",
            labels={"table": "leave one writers' set out"},
        ),
    log:
        "logs/ex3_leave_one_out_table/ex3_leave_one_out_table.log",
    conda:
        "../envs/analysis.yaml"
    script:
        "../scripts/ex3_leave_one_out_table.py"


rule ex3_model_card:
    input:
        training=rules.ex3_train.output.card,
        photo_benchmark=rules.ex3_photo_benchmark.output.summary,
        leave_one_out=optional(
            config["ex3"]["leave_one_out"], rules.ex3_leave_one_out_table.output[0]
        ),
    output:
        json=report(
            "results/ex3/model_card.json",
            caption="../report/captions/ex3_model_card.rst",
            category="Exercise 3",
            subcategory="Recogniser",
            labels={"table": "model card"},
        ),
        markdown="results/ex3/model_card.md",
    log:
        "logs/ex3_model_card/ex3_model_card.log",
    conda:
        "../envs/train.yaml"
    script:
        "../scripts/ex3_model_card.py"


rule ex3_predict:
    input:
        model=rules.ex3_train.output.keras,
        card=rules.ex3_model_card.output.json,
        images=config["ex3"]["predict"],
    output:
        table="results/ex3/predict/predictions.csv",
        sheet=report(
            "results/ex3/predict/contact_sheet.png",
            caption="../report/captions/ex3_contact_sheet.rst",
            category="Exercise 3",
            subcategory="Own digits",
            labels={"figure": "predictions"},
        ),
    log:
        "logs/ex3_predict/ex3_predict.log",
    benchmark:
        "benchmarks/ex3_predict/ex3_predict.tsv"
    conda:
        "../envs/train.yaml"
    params:
        backend=config["ex3"]["keras_backend"],
    script:
        "../scripts/ex3_predict.py"


rule ex3_evaluate:
    input:
        model=rules.ex3_train.output.keras,
        card=rules.ex3_model_card.output.json,
        folder=ex3_evaluation_folder,
    output:
        table="results/ex3/evaluate/{name}/evaluation.csv",
        per_class="results/ex3/evaluate/{name}/per_class.csv",
        summary="results/ex3/evaluate/{name}/summary.json",
        confusion=report(
            "results/ex3/evaluate/{name}/confusion_matrix.png",
            caption="../report/captions/ex3_evaluate.rst",
            category="Exercise 3",
            subcategory="Own digits",
            labels={"figure": "confusion matrix", "set": "{name}"},
        ),
        mistakes=report(
            "results/ex3/evaluate/{name}/mistakes.png",
            caption="../report/captions/ex3_evaluate.rst",
            category="Exercise 3",
            subcategory="Own digits",
            labels={"figure": "mistakes", "set": "{name}"},
        ),
    log:
        "logs/ex3_evaluate/{name}.log",
    benchmark:
        "benchmarks/ex3_evaluate/{name}.tsv"
    conda:
        "../envs/train.yaml"
    params:
        backend=config["ex3"]["keras_backend"],
    script:
        "../scripts/ex3_evaluate.py"


rule ex3_grade:
    input:
        submissions=config["ex3"]["grade"]["submissions"] or [],
        folder=config["ex3"]["grade"]["folder"] or [],
    output:
        report(
            "results/ex3/grade/grades.csv",
            caption="../report/captions/ex3_grade.rst",
            category="Exercise 3",
            subcategory="Grading",
            labels={"table": "grades"},
        ),
    log:
        "logs/ex3_grade/ex3_grade.log",
    benchmark:
        "benchmarks/ex3_grade/ex3_grade.tsv"
    conda:
        "../envs/train.yaml"
    params:
        limits=config["ex3"]["grade"]["limits"],
        backend=config["ex3"]["keras_backend"],
    script:
        "../scripts/ex3_grade.py"


rule ex3_cut_sheet:
    input:
        photos=config["ex3"]["cut_sheet"]["photos"],
    output:
        directory("results/ex3/cut_sheet"),
    log:
        "logs/ex3_cut_sheet/ex3_cut_sheet.log",
    conda:
        "../envs/train.yaml"
    params:
        labels=config["ex3"]["cut_sheet"]["labels"],
    script:
        "../scripts/ex3_cut_sheet.py"


rule ex3_web_model:
    input:
        rules.ex3_train.output.keras,
    output:
        "results/ex3/web_model.json",
    log:
        "logs/ex3_web_model/ex3_web_model.log",
    conda:
        "../envs/train.yaml"
    params:
        backend=config["ex3"]["keras_backend"],
    script:
        "../scripts/ex3_web_model.py"
