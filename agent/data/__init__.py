"""What the learner learns from: episodes, demo shards + manifest, batches, captioned frames."""
