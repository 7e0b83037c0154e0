"""Benchmarks (not timed tests): each prints a table of side-by-side ratios. Run one from the repository
root as `python -m bench.<name> [--quick] [--json]`; `bench.harness` holds what they share."""
