"""miniground's learner: perception, text encoders, the agent, training and evaluation."""
