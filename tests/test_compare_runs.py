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


def test_added_columns_and_keys_pass_only_when_allowed(tmp_path, capsys):
    a, b = _run(tmp_path / "a"), _run(tmp_path / "b")
    metrics = b / "results/ex1/metrics.csv"
    pd.read_csv(metrics).assign(optimizer="sgd").to_csv(metrics, index=False)
    facts = b / "results/ex1/facts.json"
    facts.write_text(json.dumps({**json.loads(facts.read_text()), "axes": {}}))
    assert main([str(a), str(b)]) == 1
    assert main([str(a), str(b), "--allow-added"]) == 0
    out = capsys.readouterr().out
    assert "ADDS ex1/metrics.csv: optimizer" in out and "ADDS ex1/facts.json: axes" in out


def test_allowed_additions_still_catch_a_changed_value(tmp_path):
    a, b = _run(tmp_path / "a"), _run(tmp_path / "b", accuracy=0.8)
    metrics = b / "results/ex1/metrics.csv"
    pd.read_csv(metrics).assign(optimizer="sgd").to_csv(metrics, index=False)
    added = {}
    _, problems = compare_runs(a, b, added=added)
    assert any("column test_accuracy" in p for p in problems) and added["ex1/metrics.csv"] == ["optimizer"]
