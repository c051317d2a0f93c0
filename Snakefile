from snakemake.utils import min_version, validate

min_version("9.0")


configfile: "config.yaml"


include: "rules/common.smk"


# --config hands nested values over as strings: convert those the schema wants as numbers.
# Then friendly errors (they name the key and the allowed values), then snakemake's
# validation, which also fills in the schema's defaults.
coerce_overrides(config, CONFIG_SCHEMA)
check_config(config, CONFIG_SCHEMA)
validate(config, CONFIG_SCHEMA)


report: "report/workflow.rst"


include: "rules/data.smk"
include: "rules/ex1.smk"
include: "rules/ex2.smk"
include: "rules/ex3.smk"
include: "rules/report.smk"


rule all:
    default_target: True
    input:
        all_targets(),
