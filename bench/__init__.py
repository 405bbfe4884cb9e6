"""Benchmarks of gridcase, run with `python -m bench` (`make bench`); see bench/README.md."""
