"""Jinja2 templates gpsynth renders: the dataset report and the load-test scripts (installed as gpsynth.templates)."""
