"""Benchmarks, run with `make bench` (or `python -m bench` from the repository root).

They use their own PostgreSQL database and Redis db number, so a run never touches the tests'
or the demo's data. Results go to bench/results.json; each baseline is measured in the same run
on the same data, so the ratio means something on any machine.
"""
