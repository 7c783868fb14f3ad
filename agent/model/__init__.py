"""The network: config, text encoders, perception, the Agent (save/load), auxiliary heads."""
