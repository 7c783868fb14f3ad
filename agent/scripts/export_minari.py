"""``miniground export minari DEMOS_DIR``: a demos directory as a Minari dataset.

See :mod:`agent.data.minari_export`: every episode is replayed from its seed and checked frame by
frame against the shard, then written with lossless frames, the mission, actions, rewards,
terminations, truncations, ``is_success``/``outcome`` and the numeric privileged labels.
"""

from __future__ import annotations

import argparse
import time


def main(argv: list[str] | None = None) -> int:
    """Export a demos directory; print the dataset id, its episodes and where it lies."""
    from agent.data import minari_export

    parser = argparse.ArgumentParser(prog="miniground export minari", description=__doc__)
    parser.add_argument("demos", help="a `miniground demos` output directory")
    parser.add_argument(
        "--dataset-id",
        default=None,
        help="Minari id (default miniground/<task>/<teacher>-<split>-v0)",
    )
    parser.add_argument("--root", default=None,
                        help="Minari datasets folder (default $MINARI_DATASETS_PATH or "
                        "~/.minari/datasets); load with the same MINARI_DATASETS_PATH")  # fmt: skip
    parser.add_argument("--overwrite", action="store_true", help="replace a dataset of that id")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    dataset = minari_export.export_minari(args.demos, args.dataset_id, args.root, args.overwrite)
    print(
        f"Minari dataset {dataset.spec.dataset_id!r}: {dataset.total_episodes} episodes, "
        f"{dataset.total_steps} steps in {dataset.spec.data_path} "
        f"({time.perf_counter() - start:.1f}s); open it with "
        f"minari.load_dataset({dataset.spec.dataset_id!r})"
    )
    return 0
