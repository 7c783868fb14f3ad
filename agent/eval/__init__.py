"""Measuring agents: policy adapters, the parallel evaluator, metrics, reports, the grounding
probe and videos."""
