"""miniground worlds: instruction-following tasks in MiniWorld, rendered headless.

Importing this package configures headless rendering before miniworld is imported and registers
every ``MiniGround/...-v0`` and ``-v1`` id with Gymnasium.
"""

from envs.rendering import configure_headless

configure_headless()

from envs.registration import TASKS, make, register_all, task_ids  # noqa: E402

register_all()

__all__ = ["TASKS", "make", "register_all", "task_ids"]
