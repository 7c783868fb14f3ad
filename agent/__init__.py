"""miniground's learner: perception, text encoders, the agent, training and evaluation."""

import os

# OpenMP threads that wait for work sleep instead of spinning. With spinning (the default), two
# torch threads on a 2-core machine that other processes also use (env workers, a second job)
# fight those processes for the cores: a CNN forward/backward took 580-630 ms instead of 100-150
# (measured here under load). It only takes effect when set before torch is first imported, which
# importing any ``agent`` module does; a value the user set is kept.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
