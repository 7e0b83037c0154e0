"""Test harness shared by test directories (and the benchmarks): servers on 127.0.0.1 (servers.py)."""
