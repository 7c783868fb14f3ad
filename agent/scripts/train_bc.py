"""``miniground train bc``: behaviour cloning on demonstrations (see :mod:`agent.learn.bc`)."""

from __future__ import annotations

from agent.learn import bc
from agent.learn.bc import BCConfig, BCTrainer, prepare
from agent.utils.configs import parse_train_command


def main(argv: list[str] | None = None) -> int:
    """``miniground train bc``."""
    config, resume = parse_train_command(BCConfig, argv, "miniground train bc", bc.__doc__, ("bc",))
    episodes, manifest = prepare(config)
    trainer = BCTrainer(config, episodes, manifest)
    if resume:
        trainer.resume(resume)
    print(f"run directory: {trainer.run_dir}")
    trainer.fit(config.updates)
    result = trainer.evaluate(max(config.eval_episodes, 50), config.eval_seed, tag="final")
    trainer.close()
    print(
        f"final greedy success on {len(result.outcomes)} held-out seeds: {result.success_rate:.2f}"
    )
    return 0
