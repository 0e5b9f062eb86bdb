"""Settings from the environment and .env; the key stays secret."""

from __future__ import annotations

from pathlib import Path

import pytest

from tui.settings import Settings, SettingsError, mask_key


def test_defaults_use_the_local_engine(tmp_path: Path) -> None:
    settings = Settings.load(environ={"SM_TUI_DATA_DIR": str(tmp_path)})
    assert settings.uses_local_engine
    assert settings.data_dir == tmp_path
    assert settings.engine_model == "tiny.en"


def test_env_overrides_dotenv(tmp_path: Path) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text("SPEECHMATICS_API_KEY=from-dotenv-123456789\nSM_TUI_BATCH_CONCURRENCY=3\n")
    settings = Settings.load(environ={"SM_TUI_BATCH_CONCURRENCY": "5"}, dotenv_path=dotenv)
    assert settings.api_key == "from-dotenv-123456789"
    assert settings.batch_concurrency == 5
    assert not settings.uses_local_engine


def test_key_is_never_in_repr_or_mask() -> None:
    key = "sk-secret-abcdefghijklmnop1a2b"
    settings = Settings(api_key=key)
    assert key not in repr(settings)
    assert settings.masked_key == "sk…1a2b"
    assert mask_key(None) == "(none)"
    assert "cret" not in mask_key("short")


@pytest.mark.parametrize(
    ("name", "value"), [("SM_TUI_MAX_DELAY", "9"), ("SM_TUI_ENGINE_PORT", "x")]
)
def test_bad_values_are_reported(name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=name):
        Settings.from_mapping({name: value})


def test_choices_come_from_the_settings_and_name_the_models(tmp_path: Path) -> None:
    from dataclasses import replace

    from tui.core.target import Choices, local_target

    settings = Settings.from_mapping(
        {
            "SM_TUI_LANGUAGE": "de",
            "SM_TUI_DIARIZATION": "speaker",
            "SM_TUI_RT_OPERATING_POINT": "enhanced",
        }
    )
    choices = Choices.from_settings(settings)
    assert choices == Choices("de", "enhanced", "enhanced", "speaker")
    target = replace(
        local_target("http://h/v2", "ws://h/v2", "k", "tiny.en"), model_names=("tiny.en", "base")
    )
    chosen = Choices("de", "standard", "enhanced", "none").applied(target)
    assert (chosen.batch_model, chosen.rt_model) == ("standard", "enhanced")
    assert chosen.models_label == "batch standard (tiny.en) · real time enhanced (base)"
    with pytest.raises(SettingsError, match="standard or enhanced"):
        Settings.from_mapping({"SM_TUI_BATCH_OPERATING_POINT": "best"})
