"""Scenario presets shipped with gpsynth (installed as gpsynth.presets)."""
