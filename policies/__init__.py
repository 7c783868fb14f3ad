"""Observation -> action: the privileged expert, the learned actor-critic, a random baseline."""
