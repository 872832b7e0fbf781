"""Burst benchmarks: the runner, the same-run baselines and the report."""
