"""Evaluation commands: retrieval and answer quality against public benchmarks."""
