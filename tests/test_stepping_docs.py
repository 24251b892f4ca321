"""docs/stepping.md's REPL session prints what the page says it prints."""

import doctest
import re
from pathlib import Path

DOC = Path(__file__).resolve().parent.parent / "docs" / "stepping.md"


def test_stepping_doc_repl_session():
    text = DOC.read_text(encoding="utf-8")
    blocks = [b for b in re.findall(r"```python\n(.*?)```", text, re.DOTALL) if ">>>" in b]
    assert blocks, "docs/stepping.md has no >>> example"
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
    for i, block in enumerate(blocks):
        test = doctest.DocTestParser().get_doctest(block, {}, f"stepping.md block {i}", None, 0)
        runner.run(test)
    assert runner.failures == 0 and runner.tries > 10
