"""tools/resource_table.py: the README's resource table from a run's benchmark files."""

from tools.resource_table import resource_table

HEADER = "s\th:m:s\tmax_rss\tmax_vms\tmax_uss\tmax_pss\tio_in\tio_out\tmean_load\tcpu_time\n"


def test_per_rule_longest_total_and_peak_memory(tmp_path):
    for rule, jobs in {"ex1_train": [(10.0, 900.0), (30.5, 1200.0)], "ex3_train": [(700.0, 1400.0)]}.items():
        (tmp_path / rule).mkdir()
        for index, (seconds, rss) in enumerate(jobs):
            (tmp_path / rule / f"job{index}.tsv").write_text(
                HEADER + f"{seconds}\t0:00:10\t{rss}\t0\t0\t0\t0\t0\t0\t1\n"
            )
    table = resource_table(tmp_path)
    assert list(table.index) == ["ex3_train", "ex1_train"]  # most time first
    assert table.loc["ex1_train"].tolist() == [2, 30.5, 40.5, 1200.0]
    assert table.loc["ex3_train", "jobs"] == 1 and table.loc["ex3_train", "peak_rss_mb"] == 1400.0
