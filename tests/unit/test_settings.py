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


def test_function_defaults_are_the_settings_defaults():
    # Engine passes these settings down; a caller without Settings (tests, scripts) gets the
    # same values from the keyword defaults, so the two must not drift apart.
    from inspect import signature

    from citemed.audience import adapt
    from citemed.compose import compose
    from citemed.retrieve import search

    pairs = [(compose, "max_references", "max_references"),
             (compose, "max_bullets_per_section", "max_bullets_per_section"),
             (compose, "max_bullets", "max_bullets"),
             (compose, "max_key_findings", "max_key_findings"),
             (compose, "read_budget", "read_budget"),
             (compose, "read_per_document", "read_per_document"),
             (adapt, "max_sections", "patient_max_sections"),
             (adapt, "max_bullets", "patient_max_bullets"),
             (search, "k", "search_k"),
             (search, "sentences_per_hit", "sentences_per_hit")]
    for function, parameter, setting in pairs:
        assert signature(function).parameters[parameter].default \
            == Settings.model_fields[setting].default, f"{function.__name__}({parameter})"
