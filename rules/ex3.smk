# Exercise 3: the handwritten-digit recogniser, its model card, and (from config) predictions,
# evaluations and grading through the shared preprocessing.


rule ex3_train:
    input:
        mnist_arrays="resources/mnist/mnist.npz",
        mnist_provenance="resources/mnist/provenance.json",
        usps_arrays="resources/usps/usps.npz",
        usps_provenance="resources/usps/provenance.json",
        semeion_arrays="resources/semeion/semeion.npz",
        semeion_provenance="resources/semeion/provenance.json",
    output:
        h5="results/ex3/recogniser.h5",
        keras="results/ex3/recogniser.keras",
        history="results/ex3/history.csv",
        card_json=report(
            "results/ex3/model_card.json",
            caption="../report/captions/ex3_model_card.rst",
            category="Exercise 3",
            subcategory="Recogniser",
            labels={"table": "model card"},
        ),
        card_md="results/ex3/model_card.md",
    log:
        "logs/ex3_train/ex3_train.log",
    benchmark:
        "benchmarks/ex3_train/ex3_train.tsv"
    conda:
        "../envs/train.yaml"
    threads: 2
    resources:
        mem_mb=4000,
        runtime=60,
    params:
        settings=config["ex3"],
    script:
        "../scripts/ex3_train.py"
