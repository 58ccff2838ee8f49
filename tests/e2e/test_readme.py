"""The README's embedding snippets run as written and print what they promise."""

import json
import re
import subprocess
import sys
from pathlib import Path

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")


def snippet(name):
    match = re.search(rf"<!-- snippet: {name} -->\n```python\n(.*?)```", README, re.DOTALL)
    assert match, f"README has no snippet {name}"
    return match.group(1)


def run(code, tmp_path):
    script = tmp_path / "snippet.py"
    script.write_text(code, encoding="utf-8")
    result = subprocess.run(
        [sys.executable, script], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_the_twisted_embedding_snippet_serves(tmp_path):
    output = run(snippet("embed-twisted"), tmp_path)
    assert re.fullmatch(r"serving on http://127\.0\.0\.1:\d+\n", output)


def test_the_asyncio_embedding_snippet_answers_health(tmp_path):
    output = run(snippet("embed-asyncio"), tmp_path)
    assert json.loads(output)["status"] == "ok"
