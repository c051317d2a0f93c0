"""The datasets the workflow fetches, named once (the rules, the loaders and Exercise 3 read
them here). No imports: the Snakefile's process reads it while it builds the jobs."""

# Writers other than MNIST's (data/writers.py): trained on or held out by Exercise 3.
WRITERS_SETS = ("usps", "semeion")
# Every dataset with a data_<name> rule, in the order the report lists them.
DATASETS = ("mnist", "svhn", *WRITERS_SETS, "fonts")
