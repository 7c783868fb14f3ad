"""``miniground train dagger``: DAgger rounds on top of behaviour cloning.

The rounds are :func:`agent.learn.dagger.run_dagger`; its module docstring is this command's
description. Settings: behaviour cloning's plus the rounds (``--config`` reads the ``[bc]`` and
``[dagger]`` tables).
"""

from __future__ import annotations

from agent.learn import dagger
from agent.learn.bc import BCTrainer, prepare
from agent.learn.checkpoint import check_run_output
from agent.learn.dagger import DAggerTrainConfig, run_dagger
from agent.model.agent import Agent
from agent.utils.configs import parse_train_command


def main(argv: list[str] | None = None) -> int:
    """``miniground train dagger``."""
    config, resume = parse_train_command(
        DAggerTrainConfig, argv, "miniground train dagger", dagger.__doc__, ("bc", "dagger")
    )
    config.out = check_run_output(config.out, resume)
    demos, manifest = prepare(config)
    trainer = BCTrainer(config, demos, manifest)
    if resume:
        trainer.resume(resume)
    elif config.init_from:
        init = Agent.from_pretrained(config.init_from, device=trainer.device)
        trainer.agent.load_state_dict(init.state_dict())
    else:
        trainer.fit(config.updates)
    print(f"run directory: {trainer.run_dir}")
    report = run_dagger(trainer, config, demos)
    trainer.save()
    trainer.close()
    print("round  beta   success")
    for row in report:
        beta = "-" if row["beta"] is None else f"{row['beta']:.2f}"
        print(f"{row['round']:>5}  {beta:>5}  {row['success_rate']:.2f}")
    return 0
