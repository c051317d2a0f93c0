"""The package has no import cycles (tools/env_check.py reads the imports from the source)."""

from tools.env_check import import_cycles, package_imports


def test_package_has_no_import_cycles():
    graph = package_imports()
    assert "digitstudy.ex3.inference" in graph["digitstudy.ex3.grading"]
    assert import_cycles(graph) == []


def test_a_cycle_is_found_and_named():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": {"e"}}
    assert import_cycles(graph) == [["a", "b", "c"]]
