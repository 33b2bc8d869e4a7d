"""Config files: validation errors name the file, the key and the valid choices; extends; round trip."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from mt.config import Config, QualityConfig, config_from_dict, load_config
from mt.errors import ConfigError
from tests.conftest import ROOT, write_config

SHIPPED = sorted(p for p in (ROOT / "configs").glob("*.yaml") if not p.name.startswith("compare-"))


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_shipped_configs_load(path: Path) -> None:
    config = load_config(path)
    expected = "ct2" if path.stem.endswith("-ct2") else "hf" if path.stem.endswith("-hf") else "auto"
    assert config.backend == expected
    assert config.src_lang == "arb_Arab" and config.tgt_lang == "eng_Latn"


def test_shipped_models() -> None:
    models = {p.name: load_config(p).model for p in SHIPPED}
    assert models["default.yaml"] == "Helsinki-NLP/opus-mt-ar-en"
    assert models["opus-mt-tc-big-ar-en.yaml"] == "Helsinki-NLP/opus-mt-tc-big-ar-en"
    assert models["nllb-200-distilled-600m.yaml"] == "facebook/nllb-200-distilled-600M"
    assert models["nllb-200-distilled-1.3b.yaml"] == "facebook/nllb-200-distilled-1.3B"
    assert models["nllb-200-3.3b.yaml"] == "facebook/nllb-200-3.3B"
    assert models["opus-mt-ar-en-ct2.yaml"] == "Helsinki-NLP/opus-mt-ar-en"
    assert models["nllb-200-distilled-600m-ct2.yaml"] == "facebook/nllb-200-distilled-600M"
    assert load_config(ROOT / "configs" / "opus-mt-ar-en-ct2.yaml").compute_type == "int8"


BAD = [
    ({"colour": "red"}, "unknown key 'colour'; valid keys: extends, backend, beam_size"),
    ({"beam_size": "4"}, "key 'beam_size' must be of type int, got str '4'"),
    ({"beam_size": True}, "key 'beam_size' must be of type int, got bool True"),
    ({"repair_glued": "yes"}, "key 'repair_glued' must be of type bool"),
    ({"backend": "ct3"}, "key 'backend' has bad value 'ct3'; valid choices: auto, ct2, hf"),
    ({"compute_type": "int4"}, "key 'compute_type' has bad value 'int4'; valid choices: auto, int8, int8_float32"),
    ({"inter_threads": 0}, "key 'inter_threads' must be a positive integer, got 0"),
    ({"intra_threads": -1}, "key 'intra_threads' must be 0 (library default) or positive"),
    ({"device": "gpu"}, "key 'device' has bad value 'gpu'; valid choices: auto, cpu, cuda, mps"),
    ({"dtype": "int4"}, "key 'dtype' has bad value 'int4'; valid choices: auto, float32, float16, bfloat16"),
    ({"beam_size": 0}, "key 'beam_size' must be a positive integer, got 0"),
    ({"max_batch_tokens": -5}, "key 'max_batch_tokens' must be a positive integer, got -5"),
    ({"src_lang": "ara_Arab"}, "key 'src_lang' has unknown language code 'ara_Arab'; did you mean 'arb_Arab'?"),
    ({"tgt_lang": "english"}, "key 'tgt_lang' has unknown language code 'english'"),
    ({"name": "../../etc"}, "key 'name' has bad value '../../etc'"),
    ({"model": "./no/such/model"}, "key 'model' names a local folder './no/such/model' that does not exist"),
]


@pytest.mark.parametrize(("change", "message"), BAD, ids=[next(iter(c)) + "=" + repr(next(iter(c.values())))
                                                          for c, _ in BAD])
def test_bad_values_name_file_key_and_choices(tmp_path: Path, change: dict, message: str) -> None:
    path = write_config(tmp_path / "bad.yaml", **{"name": "x", "model": "org/model", **change})
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert str(err.value).startswith(f"{path}: ")
    assert message in str(err.value)


def test_missing_required_key(tmp_path: Path) -> None:
    path = write_config(tmp_path / "c.yaml", name="x")
    with pytest.raises(ConfigError, match="missing required key 'model'"):
        load_config(path)


def test_missing_file_and_bad_yaml(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "nope.yaml")
    (tmp_path / "broken.yaml").write_text("name: [unclosed\n")
    with pytest.raises(ConfigError, match="is not valid YAML at line"):
        load_config(tmp_path / "broken.yaml")
    (tmp_path / "list.yaml").write_text("- a\n- b\n")
    with pytest.raises(ConfigError, match="must hold a mapping"):
        load_config(tmp_path / "list.yaml")


def test_extends_is_relative_to_the_extending_file(tmp_path: Path) -> None:
    (tmp_path / "base").mkdir()
    write_config(tmp_path / "base" / "base.yaml", name="base", model="org/model", beam_size=5)
    child = tmp_path / "child.yaml"
    child.write_text("extends: base/base.yaml\nname: child\nmax_new_tokens: 64\n")
    config = load_config(child)
    assert (config.name, config.model, config.beam_size, config.max_new_tokens) == ("child", "org/model", 5, 64)


def test_extends_cycle_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("extends: b.yaml\nname: a\nmodel: m/m\n")
    (tmp_path / "b.yaml").write_text("extends: a.yaml\n")
    with pytest.raises(ConfigError, match="cycle"):
        load_config(tmp_path / "a.yaml")


def test_saved_config_loads_back_unchanged(tmp_path: Path) -> None:
    config = load_config(ROOT / "configs" / "nllb-200-distilled-600m.yaml")
    (tmp_path / "saved.yaml").write_text(config.to_yaml())
    assert load_config(tmp_path / "saved.yaml") == config


def test_local_model_path_is_resolved_relative_to_the_config(tmp_path: Path) -> None:
    (tmp_path / "models" / "tiny").mkdir(parents=True)
    path = write_config(tmp_path / "c.yaml", name="x", model="models/tiny")
    assert load_config(path).model == str((tmp_path / "models" / "tiny").resolve())


HUB_IDS = [("Helsinki-NLP/opus-mt-ar-en", True), ("facebook/nllb-200-distilled-600M", True), ("t5-small", True),
           ("org/name with space", False), ("org/opus--mt", False), ("org/a..b", False), ("-org/m", False),
           ("org/m.", False), ("org/m.git", False), ("org/", False), ("org/m\n", False), ("منظمة/نموذج", False),
           ("o/" + "m" * 96, True), ("o/" + "m" * 97, False)]


@pytest.mark.parametrize(("model", "valid"), HUB_IDS)
def test_a_model_that_is_no_folder_must_be_a_hub_id(model: str, valid: bool) -> None:
    if valid:
        assert config_from_dict({"name": "x", "model": model}).model == model
    else:
        with pytest.raises(ConfigError, match="which is neither a local folder nor a Hugging Face hub id"):
            config_from_dict({"name": "x", "model": model})


def test_hash_ignores_output_dir_but_not_settings() -> None:
    base = config_from_dict({"name": "x", "model": "org/m"})
    assert base.config_hash() == config_from_dict({"name": "x", "model": "org/m", "output_dir": "/else"}).config_hash()
    assert base.config_hash() != config_from_dict({"name": "x", "model": "org/m", "beam_size": 5}).config_hash()


def test_defaults_documented_in_default_yaml() -> None:
    data = yaml.safe_load((ROOT / "configs" / "default.yaml").read_text())
    assert set(data) == set(Config.__dataclass_fields__)
    assert set(data["quality"]) == set(QualityConfig.__dataclass_fields__)
    assert config_from_dict(data).quality == QualityConfig()  # the file states the defaults


DEFAULT_YAML = yaml.safe_load((ROOT / "configs" / "default.yaml").read_text(encoding="utf-8"))
REQUIRED = ("name", "model")  # no default in code: every config names its model and run


@pytest.mark.parametrize("key", [k for k in Config.__dataclass_fields__ if k not in (*REQUIRED, "quality")])
def test_code_defaults_are_default_yaml(key: str) -> None:
    """A config written without `extends:` gets what configs/default.yaml (and the README) say, key by key."""
    assert getattr(config_from_dict({"name": "x", "model": "org/m"}), key) == DEFAULT_YAML[key]


@pytest.mark.parametrize("key", list(QualityConfig.__dataclass_fields__))
def test_code_quality_defaults_are_default_yaml(key: str) -> None:
    assert getattr(QualityConfig(), key) == DEFAULT_YAML["quality"][key]


BAD_QUALITY = [
    ({"quality": "strict"}, "key 'quality' must be of type mapping, got str 'strict'"),
    ({"quality": {"max_z": 2}}, "unknown key 'quality.max_z'; valid keys: chars_ratio, chars_scale, chars_sd"),
    ({"quality": {"min_quality": "high"}}, "key 'quality.min_quality' must be of type float or null, got str"),
    ({"quality": {"min_quality": 1.5}}, "key 'quality.min_quality' must lie between 0 and 1, got 1.5"),
    ({"quality": {"chars_sd": 0}}, "key 'quality.chars_sd' must be a positive number, got 0"),
    ({"quality": {"round_trip": "no-such.yaml"}},
     "key 'quality.round_trip' names a config file 'no-such.yaml' that does not exist"),
]


@pytest.mark.parametrize(("change", "message"), BAD_QUALITY, ids=[m.split("'")[1] for _, m in BAD_QUALITY])
def test_bad_quality_section(tmp_path: Path, change: dict, message: str) -> None:
    path = write_config(tmp_path / "bad.yaml", **{"name": "x", "model": "org/model", **change})
    with pytest.raises(ConfigError, match=None) as err:
        load_config(path)
    assert message in str(err.value)


def test_quality_section_extends_key_by_key(tmp_path: Path) -> None:
    write_config(tmp_path / "base.yaml", name="x", model="org/m", quality={"max_length_z": 2.5, "chars_sd": 0.2})
    path = write_config(tmp_path / "child.yaml", extends="base.yaml", quality={"chars_sd": 0.3})
    quality = load_config(path).quality
    assert (quality.max_length_z, quality.chars_sd, quality.words_sd) == (2.5, 0.3, 0.253)
    assert load_config(path, **{"quality.min_quality": 0.4}).quality.min_quality == 0.4


def test_config_with_quality_saves_and_loads_back(tmp_path: Path) -> None:
    config = config_from_dict({"name": "x", "model": "org/m", "quality": {"min_quality": 0.5, "chars_ratio": 1}})
    (tmp_path / "saved.yaml").write_text(config.to_yaml())
    assert load_config(tmp_path / "saved.yaml") == config
    assert config.config_hash() != config_from_dict({"name": "x", "model": "org/m"}).config_hash()


def test_compare_default_names_shipped_configs() -> None:
    from mt.commands.compare import expand_configs

    paths, name = expand_configs([str(ROOT / "configs" / "compare-default.yaml")])
    assert name == "default" and len(paths) >= 2
    # the baseline: the default model in transformers, then the same model on the default (fast) path
    assert [load_config(p).name for p in paths][:2] == ["opus-mt-ar-en-hf", "opus-mt-ar-en"]
