"""The pytest plugin: gradcheck fixtures whose tolerances come from the command line or ini file.

Each test runs pytest on a small test file with pytester. The plugin is loaded with
``-p autograd.check.pytest_plugin``: in an installed chainrule the entry point loads the same module
under that same name, so the option is harmless there and needed in a bare checkout.
"""

from importlib import metadata

import pytest

PLUGIN = ("-p", "autograd.check.pytest_plugin")

# d(x²)/dx computed 1e-4 too large, relatively: within the default rtol (1e-3), not within 1e-5.
SLIGHTLY_OFF = """
from autograd import define_op

slightly_off = define_op("slightly_off", lambda x: x * x, lambda x, out: 2 * x * (1 + 1e-4))

def test_slightly_off(gradcheck):
    assert gradcheck(lambda x: slightly_off(x), [1.5])
"""


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest(*PLUGIN, *args)


def test_fixture_has_the_built_in_defaults(pytester):
    pytester.makepyfile("""
        def test_defaults(gradcheck, gradgradcheck):
            assert (gradcheck.eps, gradcheck.atol, gradcheck.rtol) == (1e-6, 1e-5, 1e-3)
            assert (gradgradcheck.eps, gradgradcheck.atol, gradgradcheck.rtol) == (1e-6, 1e-5, 1e-3)
            assert gradcheck(lambda x, y: (x * y).tanh(), [0.3, -1.2])
            assert gradgradcheck(lambda x, y: (x * y).tanh(), [0.3, -1.2])
    """)
    run(pytester).assert_outcomes(passed=1)


def test_default_tolerances_pass_a_small_relative_error(pytester):
    pytester.makepyfile(SLIGHTLY_OFF)
    run(pytester).assert_outcomes(passed=1)


def test_command_line_tightens_the_whole_suite(pytester):
    pytester.makepyfile(SLIGHTLY_OFF)
    result = run(pytester, "--gradcheck-rtol=1e-6", "--gradcheck-atol=0")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([
        "*1 of 1 derivatives disagree with central differences*",
        "*atol = 0 and rtol = 1e-06*",
        "*FAIL*0 x0*1.5*",
    ])


def test_ini_tightens_the_whole_suite(pytester):
    pytester.makeini("[pytest]\ngradcheck_rtol = 1e-6\ngradcheck_atol = 0\n")
    pytester.makepyfile(SLIGHTLY_OFF)
    run(pytester).assert_outcomes(failed=1)


def test_pyproject_ini_options_work_too(pytester):
    pytester.makepyprojecttoml(
        '[tool.pytest.ini_options]\ngradcheck_rtol = "1e-6"\ngradcheck_atol = "0"\n'
    )
    pytester.makepyfile(SLIGHTLY_OFF)
    run(pytester).assert_outcomes(failed=1)


def test_command_line_wins_over_ini(pytester):
    pytester.makeini("[pytest]\ngradcheck_rtol = 1e-6\ngradcheck_atol = 0\n")
    pytester.makepyfile(SLIGHTLY_OFF)
    run(pytester, "--gradcheck-rtol=1e-3").assert_outcomes(passed=1)


def test_keyword_in_the_call_wins_over_the_suite(pytester):
    pytester.makepyfile(SLIGHTLY_OFF + """
def test_loosened_here(gradcheck):
    assert gradcheck(lambda x: slightly_off(x), [1.5], rtol=1e-3)
""")
    result = run(pytester, "--gradcheck-rtol=1e-6", "--gradcheck-atol=0")
    result.assert_outcomes(passed=1, failed=1)


def test_settings_and_their_sources_are_visible(pytester):
    pytester.makeini("[pytest]\ngradcheck_atol = 1e-8\n")
    pytester.makepyfile("""
        def test_settings(gradcheck):
            assert (gradcheck.eps, gradcheck.atol, gradcheck.rtol) == (1e-7, 1e-8, 1e-3)
    """)
    result = run(pytester, "--gradcheck-eps=1e-7")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines([
        "gradcheck: eps=1e-07 (--gradcheck-eps), atol=1e-08 (ini gradcheck_atol), "
        "rtol=0.001 (default)"
    ])


def test_no_header_line_when_nothing_is_set(pytester):
    pytester.makepyfile("def test_nothing():\n    pass\n")
    result = run(pytester)
    assert not [line for line in result.outlines if line.startswith("gradcheck:")]


@pytest.mark.parametrize(
    ("args", "ini", "complaint"),
    [
        (["--gradcheck-atol=abc"], "", "--gradcheck-atol must be a finite number >= 0*'abc'"),
        (["--gradcheck-eps=0"], "", "--gradcheck-eps must be a finite number > 0*"),
        ([], "gradcheck_rtol = -1", "ini gradcheck_rtol must be a finite number >= 0*'-1'"),
    ],
)
def test_bad_values_stop_the_run_with_a_clear_message(pytester, args, ini, complaint):
    if ini:
        pytester.makeini(f"[pytest]\n{ini}\n")
    pytester.makepyfile("def test_never_runs(gradcheck):\n    raise AssertionError\n")
    result = run(pytester, *args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"*{complaint}*"])


def test_failure_shows_the_table_at_the_users_line(pytester):
    pytester.makepyfile("""
        from autograd import define_op

        wrong = define_op("wrong", lambda x, y: x * y, lambda x, y, out: y, lambda x, y, out: x + 1)

        def test_neuron(gradcheck):
            def neuron(x, w):
                w.label = "w"
                return wrong(x, w).tanh()
            assert gradcheck(neuron, [0.3, -1.2])
    """)
    result = run(pytester)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([
        ">*assert gradcheck(neuron, *",
        "E*GradcheckError: gradcheck of *neuron at (0.3, -1.2): 1 of 2 derivatives disagree*",
        "E*ok*0 x0*0.3*",
        "E*FAIL*1 w*-1.2*",
    ])
    # The checker's own frames are hidden: the user's line and the report are what is shown.
    assert "gradcheck.py" not in result.stdout.str()


def test_options_are_documented_in_help(pytester):
    result = run(pytester, "--help")
    result.stdout.fnmatch_lines([
        "*--gradcheck-atol=NUMBER*",
        "*gradcheck_rtol*",
    ])


def test_installed_distribution_registers_no_plugin():
    # Opt-in: an entry point would import chainrule into every pytest run on the machine.
    try:
        distribution = metadata.distribution("chainrule")
    except metadata.PackageNotFoundError:
        pytest.skip("chainrule is not installed here (pip install -e .): no entry points to read")
    assert [ep for ep in distribution.entry_points if ep.group == "pytest11"] == []


def test_conftest_turns_the_plugin_on(pytester):
    pytester.makeconftest('pytest_plugins = ["autograd.check.pytest_plugin"]\n')
    pytester.makepyfile(SLIGHTLY_OFF)
    pytester.runpytest("--gradcheck-rtol=1e-6", "--gradcheck-atol=0").assert_outcomes(failed=1)


def test_a_project_with_its_own_autograd_module_is_left_alone(pytester):
    # In a fresh interpreter, as `python -m pytest` in that project runs: chainrule installed
    # must neither break the run nor put its autograd in place of the project's.
    pytester.makepyfile(
        autograd="WHO = 'the project'\n",
        test_own="""
            import sys

            import autograd

            def test_its_own_autograd_is_imported():
                assert autograd.WHO == "the project"
                assert "nn" not in sys.modules and "numpy" not in sys.modules
        """,
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
