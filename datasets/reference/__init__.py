"""Reference data drawn from public sources (installed as gpsynth.reference); see ../SOURCES.md."""
