"""docs/numerics.md's examples print what the page says they print."""

import doctest
import re
from pathlib import Path

DOC = Path(__file__).resolve().parent.parent / "docs" / "numerics.md"


def test_numerics_doc_examples():
    text = DOC.read_text(encoding="utf-8")
    blocks = [b for b in re.findall(r"```python\n(.*?)```", text, re.DOTALL) if ">>>" in b]
    assert blocks, "docs/numerics.md has no >>> example"
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS)
    globs: dict = {}
    for i, block in enumerate(blocks):
        test = doctest.DocTestParser().get_doctest(block, globs, f"numerics.md block {i}", None, 0)
        runner.run(test, clear_globs=False)
        globs = test.globs  # the blocks are one session
    assert runner.failures == 0 and runner.tries >= 8
