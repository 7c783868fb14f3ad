"""Training: behaviour cloning, DAgger, PPO, grounding pretraining, schedules, checkpoints."""
