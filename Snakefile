from snakemake.utils import min_version

min_version("9.0")


configfile: "config.yaml"


include: "rules/common.smk"


# One validation: --config's strings converted, every problem named with its key and the
# allowed values, then the schema's defaults filled in (digitstudy.config.validated_config).
validated_config(config, CONFIG_SCHEMA)


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
