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
    init = None
    if config.init_from and not resume:
        init = Agent.from_pretrained(config.init_from)
        wanted = (config.agent.num_actions, config.agent.obs_height, config.agent.obs_width)
        got = (init.config.num_actions, init.config.obs_height, init.config.obs_width)
        if wanted != got:
            raise ValueError(
                f"--init_from {config.init_from!r} has (actions, height, width) {got} but the "
                f"demos' task needs {wanted}: start from a checkpoint trained on this task"
            )
        config.agent = init.config  # the checkpoint's network (and its inventory) is trained on
    trainer = BCTrainer(config, demos, manifest)
    if resume:
        trainer.resume(resume)
    elif init is not None:
        trainer.agent.load_state_dict(init.state_dict())
    else:
        trainer.fit(config.updates)
    print(f"run directory: {trainer.run_dir}")
    report = run_dagger(trainer, config, demos)
    trainer.save()
    trainer.close()
    print("round  beta   validation success  stuck timeouts  collected: success  stuck")
    for row in report:
        beta = "-" if row["beta"] is None else f"{row['beta']:.2f}"
        success = f"{row['success_rate']:.2f}" if "success_rate" in row else "-"
        stuck = str(row.get("stuck_timeouts", "-"))
        collected = row.get("learner_success_while_collecting")
        collect = "-" if collected is None else f"{collected:.2f}"
        print(
            f"{row['round']:>5}  {beta:>5}  {success:>18}  {stuck:>14}  {collect:>18}  "
            f"{row.get('collect_stuck_timeouts', '-')!s:>5}"
        )
    return 0
