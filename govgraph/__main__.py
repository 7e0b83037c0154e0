"""`python -m govgraph` runs the command-line interface."""

from govgraph.cli import main

main()
