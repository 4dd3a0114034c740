"""Benchmarks: accuracy against the evaluation protocols and speed, printed as tables or JSON."""
