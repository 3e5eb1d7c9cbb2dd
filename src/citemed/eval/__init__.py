"""Evaluation commands: retrieval quality against public benchmarks, beside a plain baseline."""
