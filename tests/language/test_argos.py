"""The local engine with Argos Translate. Its library is an optional extra (it brings in
PyTorch) and its models are files the operator installs: this test runs only where
FUSIONCELL_TEST_ARGOS_MODELS names a directory of installed models that translate ar to en
(and the library is installed); elsewhere it is skipped, saying why. Without the library,
the engine says it is unavailable instead of failing."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest

from fusioncell.language.__main__ import main as cli
from fusioncell.language.engines import Argos, Unavailable


def test_without_the_library_or_a_model_the_engine_says_so(tmp_path: Path) -> None:
    if importlib.util.find_spec("argostranslate") is not None:
        pytest.skip("argostranslate is installed here: covered by the test below")
    e = Argos(tmp_path)
    with pytest.raises(Unavailable, match="fusioncell\\[argos\\]"):
        e.translate(["نص"], "ar", "en")
    assert e.languages() == []
    assert cli(["install-model", str(tmp_path / "none.argosmodel")]) == 1


def test_argos_translates_with_installed_models() -> None:
    models = os.environ.get("FUSIONCELL_TEST_ARGOS_MODELS")
    if importlib.util.find_spec("argostranslate") is None:
        pytest.skip("argostranslate is not installed (pip install 'fusioncell[argos]')")
    if not models or not Path(models).is_dir():
        pytest.skip("no Argos models: set FUSIONCELL_TEST_ARGOS_MODELS to a directory of them")
    e = Argos(Path(models))
    assert ("ar", "en") in (e.languages() or [])
    [out] = e.translate(["مرحبا"], "ar", "en")
    assert out.strip()
    with pytest.raises(Unavailable):
        e.translate(["x"], "ar", "xx")
