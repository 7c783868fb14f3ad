"""``miniground train bc``: behaviour cloning on demonstrations (see :mod:`agent.learn.bc`)."""

from __future__ import annotations

from agent.learn import bc
from agent.learn.bc import BCConfig, BCTrainer, prepare
from agent.learn.checkpoint import check_run_output
from agent.utils.configs import parse_train_command


def main(argv: list[str] | None = None) -> int:
    """``miniground train bc``."""
    config, resume = parse_train_command(BCConfig, argv, "miniground train bc", bc.__doc__, ("bc",))
    config.out = check_run_output(config.out, resume)
    episodes, manifest = prepare(config)
    trainer = BCTrainer(config, episodes, manifest)
    if resume:
        trainer.resume(resume)
    print(f"run directory: {trainer.run_dir}")
    trainer.fit(config.updates)
    if config.eval_episodes > 0:
        result = trainer.evaluate(config.eval_episodes, config.eval_seed, tag="final")
        print(
            f"final greedy success on {len(result.outcomes)} held-out seeds: "
            f"{result.success_rate:.2f}"
        )
    trainer.close()
    return 0
