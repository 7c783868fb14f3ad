"""Helpers that know nothing else of ours: io, run directories, seeding, versions, configs."""
