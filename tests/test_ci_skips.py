"""Under CI=true nothing is skipped silently: a test that cannot run fails (tests/conftest.py)."""

import pytest

from tests.conftest import REPO

SKIPPING = """
import pytest

missing = pytest.importorskip("a_module_nobody_installed")


def test_never_collected():
    pass
"""

SKIPPING_AT_RUN = """
import pytest


def test_needs_a_tool():
    pytest.skip("the tool is not installed")


@pytest.mark.skipif(True, reason="a condition")
def test_marked():
    pass


def test_runs():
    assert True
"""


@pytest.fixture
def suite(pytester):
    pytester.makeconftest((REPO / "tests" / "conftest.py").read_text())
    pytester.makepyfile(test_collect=SKIPPING, test_run=SKIPPING_AT_RUN)
    return pytester


@pytest.mark.parametrize("value", ["true", "1"])
def test_skips_fail_under_ci(suite, monkeypatch, value):
    monkeypatch.setenv("CI", value)
    result = suite.runpytest("-p", "no:cacheprovider", "test_run.py")
    # skipif acts while setting up, so it shows as an error; pytest.skip() in the test, a failure.
    result.assert_outcomes(passed=1, failed=1, errors=1)
    result.stdout.fnmatch_lines(["*CI=true does not allow: *the tool is not installed*"])
    # A module skipped while collecting becomes a collection error, which stops the run.
    result = suite.runpytest("-p", "no:cacheprovider", "test_collect.py")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*CI=true does not allow: *a_module_nobody_installed*"])


@pytest.mark.parametrize("value", ["", "false"])
def test_skips_stay_skips_elsewhere(suite, monkeypatch, value):
    monkeypatch.setenv("CI", value)
    suite.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1, skipped=3)
