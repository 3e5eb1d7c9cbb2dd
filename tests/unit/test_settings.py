"""Every setting is described, and docs/settings.md is the reference generated from them."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from citemed.cli import app
from citemed.settings import Settings, settings_reference

DOC = Path(__file__).parents[2] / "docs" / "settings.md"


def test_every_setting_has_a_description():
    undescribed = [name for name, field in Settings.model_fields.items()
                   if not (field.description or "").strip()]
    assert undescribed == [], f"add Field(description=...) to: {', '.join(undescribed)}"


def test_settings_reference_in_docs_is_current():
    assert DOC.read_text(encoding="utf-8") == settings_reference(), (
        "docs/settings.md is stale: run `citemed settings --markdown > docs/settings.md`")
    for name in Settings.model_fields:
        assert f"`CITEMED_{name.upper()}`" in settings_reference()


def test_settings_command_prints_the_reference_and_current_values(monkeypatch):
    runner = CliRunner()
    assert runner.invoke(app, ["settings", "--markdown"]).output == settings_reference()
    monkeypatch.setenv("CITEMED_SEARCH_K", "17")
    current = runner.invoke(app, ["settings"])
    assert current.exit_code == 0 and "CITEMED_SEARCH_K=17" in current.output.splitlines()
