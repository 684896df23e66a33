"""Model specs are validated before anything is written: a key inside a spec is refused (keys live in the
environment), unknown options and bad values are named in one line that never repeats a secret."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from agents.models.base import ModelConfigError
from agents.models.factory import backend_for
from traitors.cli import app

KEY = "sk-live-0123456789abcdefSECRET"


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        (f"openai:gpt-4o-mini?api_key={KEY}", "?api_key= would put a secret in the model spec"),
        (f"openai:gpt-4o-mini?openai_api_key={KEY}", "?openai_api_key= would put a secret"),
        (f"langchain:openai:gpt-4o-mini?token={KEY}", "?token= would put a secret"),
        ("openai:gpt-4o-mini?bogus=1", "unknown option 'bogus': openai takes base_url, key_env, price"),
        ("local?n_gpu=3", "unknown option 'n_gpu': local takes n_ctx, price, threads, timeout"),
        ("openai:gpt-4o-mini?timeout=abc", "timeout='abc': give a positive number"),
        ("local?threads=two", "threads='two': give a positive whole number"),
        (f"nosuch:model?api_key={KEY}", "?api_key= would put a secret"),
    ],
)
def test_bad_specs_are_one_line_without_the_secret(tmp_path, monkeypatch, spec: str, expected: str) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    with pytest.raises(ModelConfigError, match=None) as caught:
        backend_for(spec)
    assert expected in str(caught.value) and KEY not in str(caught.value)
    db = tmp_path / "x.db"
    result = CliRunner().invoke(
        app, ["run", "--scenario", "quick", "--model", spec, "--db", f"sqlite:///{db}"]
    )
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.exit_code == 2 and len(lines) == 1 and expected in " ".join(result.stderr.split())
    assert KEY not in result.output and not db.exists()  # nothing written, so no key stored
