"""Shared pytest set-up: headless rendering before anything imports miniworld."""

import os

os.environ.setdefault("PYGLET_HEADLESS", "true")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
