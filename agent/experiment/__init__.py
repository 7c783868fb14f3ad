"""Named experiments: TOML definitions, their runs, committed result records and RESULTS.md."""
