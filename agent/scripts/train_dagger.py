"""``miniground train dagger``: DAgger rounds on top of behaviour cloning.

The rounds are :func:`agent.learn.dagger.run_dagger`.

Its ``--help`` shows behaviour cloning's description, as it always has (the settings are BC's).
"""

from __future__ import annotations

from agent.learn import bc
from agent.learn.bc import BCTrainer, prepare
from agent.learn.dagger import DAggerConfig, run_dagger
from agent.model.agent import Agent
from agent.utils.configs import parse_train_args


def main(argv: list[str] | None = None) -> int:
    """``miniground train dagger``."""
    config, args = parse_train_args("miniground train dagger", argv, DAggerConfig, bc.__doc__)
    demos, manifest = prepare(config)
    trainer = BCTrainer(config, demos, manifest)
    if args.resume:
        trainer.resume(args.resume)
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
