"""`python -m gpsynth` runs the command line."""

from .cli import main

main()
