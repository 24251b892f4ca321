"""The README's REPL examples print what the README says they print."""

import doctest
import re
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"


def test_readme_repl_sessions():
    text = README.read_text(encoding="utf-8")
    blocks = [b for b in re.findall(r"```python\n(.*?)```", text, re.DOTALL) if ">>>" in b]
    assert blocks, "the README has no >>> example"
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
    globs: dict = {}
    for i, block in enumerate(blocks):
        test = doctest.DocTestParser().get_doctest(block, globs, f"README block {i}", None, 0)
        runner.run(test, clear_globs=False)
        globs = test.globs  # later blocks continue the same session
    assert runner.failures == 0


def test_readme_gradcheck_example_fails_with_the_table_it_shows():
    from autograd import GradcheckError

    text = README.read_text(encoding="utf-8")
    section = text[text.index("## Gradient checking in your tests"):]
    code, shown = re.findall(r"```(?:python)?\n(.*?)```", section, re.DOTALL)[:2]
    namespace: dict = {}
    exec(compile(code, "README gradcheck example", "exec"), namespace)
    try:
        namespace["test_neuron"]()
    except GradcheckError as error:
        assert f"GradcheckError: {error}".strip() == shown.strip()
    else:
        raise AssertionError("the README's wrong derivative was not caught")
