"""Benchmarks: `make bench` (python -m bench). Every figure is reported against a baseline or budget
measured in the same run, as a ratio, so results compare across machines."""
