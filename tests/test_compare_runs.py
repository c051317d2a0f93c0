"""compare_runs: equal results pass, a changed number or a missing file is named; timings are ignored."""

import json

import pandas as pd

from tools.compare_runs import compare_runs, main


def _run(root, accuracy=0.9, seconds=10.0, extra=False):
    results = root / "results/ex1"
    results.mkdir(parents=True)
    pd.DataFrame({"activation": ["relu"], "test_accuracy": [accuracy], "train_seconds": [seconds]}).to_csv(
        results / "metrics.csv", index=False
    )
    (results / "facts.json").write_text(
        json.dumps(
            {
                "best": accuracy,
                "training": {"train_seconds": seconds},
                "timing": {"decode_and_preprocess_seconds": seconds / 100, "preprocess_seconds": seconds / 200},
            }
        )
    )
    if extra:
        (results / "more.json").write_text("{}")
    return root


def test_equal_runs_with_different_timings_match(tmp_path):
    count, problems = compare_runs(_run(tmp_path / "a"), _run(tmp_path / "b", seconds=99.0))
    assert count == 2 and problems == []


def test_a_changed_number_is_named(tmp_path):
    _, problems = compare_runs(_run(tmp_path / "a"), _run(tmp_path / "b", accuracy=0.9000001))
    assert any("metrics.csv: row 0, column test_accuracy" in p for p in problems)
    assert any("facts.json" in p for p in problems)


def test_a_file_in_one_run_only_is_a_difference(tmp_path, capsys):
    assert main([str(_run(tmp_path / "a")), str(_run(tmp_path / "b", extra=True))]) == 1
    assert "more.json: only in the second run" in capsys.readouterr().out


def test_nothing_to_compare_fails(tmp_path):
    (tmp_path / "a/results").mkdir(parents=True)
    (tmp_path / "b/results").mkdir(parents=True)
    assert main([str(tmp_path / "a"), str(tmp_path / "b")]) == 1
