"""`mt compare` runs each system in a process of its own (mt.commands.system_run): what comes back is the run
folder and the warnings, or the error as an exception; a process that dies is one line naming its exit code."""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from mt.cli import main
from mt.commands.system_run import run_system
from mt.config import load_config
from mt.errors import MtError
from mt.inputs.sources import Source, open_input
from mt.records import Document
from mt.translate import resolve_backend
from tests.conftest import write_config

pytestmark = pytest.mark.slow
ARTICLE = "نفى المتحدث باسم الخارجية الروسية الأنباء. وقال إن موسكو لن تتدخل.\n"


@dataclasses.dataclass(frozen=True)
class DyingSource(Source):
    """An input whose reading ends the process at once, as a crash of the system's process would."""

    def documents(self) -> Iterator[Document]:
        os._exit(3)


def test_a_system_sends_back_its_run_folder_and_its_warnings(tmp_path: Path, tiny_marian: Path) -> None:
    path = write_config(tmp_path / "long.yaml", name="long", model=str(tiny_marian), backend="hf", beam_size=1,
                        max_new_tokens=200, max_input_tokens=48, output_dir=str(tmp_path / "out"))
    config = resolve_backend(load_config(path))
    (tmp_path / "a.txt").write_text(ARTICLE, encoding="utf-8")
    result = run_system(config, str(path), open_input(tmp_path / "a.txt", config), overwrite=False)
    assert result.error is None and result.run_dir is not None
    run_dir = Path(result.run_dir)
    assert run_dir.parent == tmp_path / "out"
    pairs = (run_dir / "pairs.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(p)["ar"] for p in pairs] == ["نفى المتحدث باسم الخارجية الروسية الأنباء.",
                                                   "وقال إن موسكو لن تتدخل."]
    # the tiny model has 128 positions: the system's process warned, and the warning came back
    assert result.warnings == [f"max_new_tokens is 200 but model '{tiny_marian}' has 128 positions: translations "
                               "are limited to 128 tokens (the manifest's model.max_new_tokens)"]


def test_a_systems_error_comes_back_as_the_exception(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "half-model"
    folder.mkdir()
    (folder / "config.json").write_text('{"model_type": "marian"}', encoding="utf-8")
    path = write_config(tmp_path / "broken.yaml", name="broken", model=str(folder), backend="hf",
                        output_dir=str(tmp_path / "out"))
    config = resolve_backend(load_config(path))
    (tmp_path / "a.txt").write_text(ARTICLE, encoding="utf-8")
    result = run_system(config, str(path), open_input(tmp_path / "a.txt", config), overwrite=False)
    assert isinstance(result.error, MtError) and result.run_dir is None
    assert str(result.error).startswith(f"model folder '{folder}' has no weights")
    # mt compare says which system failed, in one line
    assert main(["compare", str(path), "--input", str(tmp_path / "a.txt"), "--output", str(tmp_path / "cmp")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"mt: error: system 'broken' ({path}) failed: model folder '{folder}' has no weights")
    assert err.count("\n") == 1


def test_a_process_that_dies_is_one_error_naming_its_exit_code(tmp_path: Path, tiny_marian: Path) -> None:
    path = write_config(tmp_path / "c.yaml", name="c", model=str(tiny_marian), backend="hf",
                        output_dir=str(tmp_path / "out"))
    config = resolve_backend(load_config(path))
    (tmp_path / "a.txt").write_text(ARTICLE, encoding="utf-8")
    source = DyingSource(**{f.name: getattr(open_input(tmp_path / "a.txt", config), f.name)
                            for f in dataclasses.fields(Source)})
    with pytest.raises(MtError) as error:
        run_system(config, str(path), source, overwrite=False)
    assert str(error.value) == (f"the process of system 'c' ended without a result (exit code 3); run it alone with "
                                f"mt translate --config {path}")
