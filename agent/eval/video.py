"""Rollout videos: :func:`record_episodes` (the ``miniground record`` command is a thin wrapper).

One MP4 per episode (H.264, 10 fps): the egocentric view, the policy's attention heat-map when it
has one, and the top-down map with the trajectory and the target circled; the instruction above,
the step counter and action below, an outcome banner held for a second at the end. Plus a grid
video tiling up to four episodes, and GIFs on request.

Recording runs in one process with one MiniWorld env (MiniWorld renders correctly with only one
env per process); ``subprocess=True`` runs it in a fresh spawned process instead.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import multiprocessing as mp
import os
import sys
from pathlib import Path
from typing import Any

import imageio.v2 as imageio
import numpy as np
from tqdm import tqdm

from agent.eval.evaluation import with_eval_labels
from agent.eval.policies import PolicySpec, check_policy, env_kwargs_for, make_policy
from agent.eval.video_frames import compose_frame, crop_world, draw_banner, draw_map, tile
from agent.rollout.episode import EpisodePolicy, make_env, run_episode
from agent.utils.lifeline import tie_to_parent
from agent.utils.threads import one_torch_thread
from envs.language import check_split
from envs.registration import check_task

FPS = 10
HOLD_SECONDS = 1.0
GRID_EPISODES = 4
QUALITY = 5
"""imageio-ffmpeg quality (1-10); 5 is libx264 CRF 25: small files, clean edges."""


def open_writer(path: str | os.PathLike, fps: int = FPS) -> Any:
    """An imageio-ffmpeg H.264 writer that keeps (even) frame sizes as they are."""
    return imageio.get_writer(
        str(path), format="FFMPEG", mode="I", fps=fps, codec="libx264", quality=QUALITY,
        pixelformat="yuv420p", macro_block_size=2, ffmpeg_log_level="error",
    )  # fmt: skip


class EpisodeComposer:
    """A step callback for :func:`~agent.rollout.episode.run_episode` that makes the video frames.

    Frame t shows observation t with the attention the policy computed from it and the action it
    took; the last frame shows the final observation under the outcome banner, held ~1 s. An
    episode of T steps gives T + 1 + hold frames.
    """

    def __init__(self, env: Any, attention: bool = True, sink: Any = None, fps: int = FPS):
        self.env = env.unwrapped
        self.attention = attention
        self.sink = sink
        """Called with each frame as it is made (e.g. a writer's append_data); else kept."""
        self.hold = round(HOLD_SECONDS * fps)
        self.reset()

    def reset(self) -> None:
        """Forget the previous episode."""
        self.trajectory: list[tuple[float, float]] = []
        self.frames: list[np.ndarray] = []
        self.pending: tuple[dict, dict, np.ndarray] | None = None
        self.panel: bool | None = None

    def _map(self, info: dict) -> np.ndarray:
        base = self.env
        top, scale = base.top_view()
        circle = (info["target_pos"][0], info["target_pos"][1], float(base.target.radius))
        wrong = None
        reached = getattr(base, "reached", None)
        if info["outcome"] == "wrong_object" and reached is not None:
            wrong = (float(reached.pos[0]), float(reached.pos[2]), float(reached.radius))
        top = draw_map(top, scale, self.trajectory, circle, wrong, base.wall_segs)
        return crop_world(top, scale, (base.min_x, base.max_x, base.min_z, base.max_z))

    def _frame(self, obs: dict, info: dict, top: np.ndarray, action: int | None, att: Any):
        name = "-" if action is None else self.env.action_names[int(action)]
        status = f"step {info['step']}/{self.env.max_episode_steps}   action: {name}"
        right = f"{info['task'].split('/')[-1]}  {info['split']}"
        caption = f'"{info["mission"]}"'
        return compose_frame(obs["image"], top, caption, status, right, att, 4, self.panel)

    def __call__(self, obs: dict, action: int | None, info: dict, policy: EpisodePolicy) -> None:
        if self.pending is not None and action is not None:
            attention = policy.attention if self.attention else None
            if self.panel is None:
                self.panel = attention is not None
            self._emit(self._frame(*self.pending, action, attention))
        self.trajectory.append((float(info["agent_pos"][0]), float(info["agent_pos"][1])))
        self.pending = (obs, info, self._map(info))
        if info["outcome"] is None:
            return
        detail = ""
        if info["outcome"] == "wrong_object" and info["reached_color"]:
            detail = f"went to the {info['reached_color']} {info['reached_shape']}"
        frame = draw_banner(self._frame(*self.pending, None, None), info["outcome"], detail)
        for _ in range(1 + self.hold):
            self._emit(frame)

    def _emit(self, frame: np.ndarray) -> None:
        if self.sink is not None:
            self.sink(frame)
        else:
            self.frames.append(frame)


def write_grid(videos: list[Path], path: Path, fps: int = FPS) -> Path:
    """Tile up to four episode videos (half size, 2 columns) into one; short ones hold still."""
    readers = [imageio.get_reader(str(v), format="FFMPEG") for v in videos[:GRID_EPISODES]]
    tmp = path.with_name(f".{path.stem}.partial{path.suffix}")
    try:
        last: list[np.ndarray | None] = [None] * len(readers)
        iters = [iter(r) for r in readers]
        with open_writer(tmp, fps) as writer:
            while True:
                fresh = False
                for k, it in enumerate(iters):
                    with contextlib.suppress(StopIteration):
                        last[k] = next(it)
                        fresh = True
                if not fresh:
                    break
                writer.append_data(tile([f for f in last if f is not None], columns=2))
    finally:
        for r in readers:
            r.close()
    os.replace(tmp, path)
    return path


def _gif(frames: list[np.ndarray], path: Path, fps: int) -> Path:
    """A looping GIF at half size (GIFs are large)."""
    small = [tile([f], columns=1) for f in frames]
    tmp = path.with_name(f".{path.stem}.partial.gif")
    imageio.mimsave(str(tmp), small, format="GIF", duration=1000 / fps, loop=0)
    os.replace(tmp, path)
    return path


def _record_one(
    env: Any,
    policy: EpisodePolicy,
    i: int,
    seed: int,
    out: Path,
    attention: bool,
    gif: bool,
    fps: int,
) -> tuple[str, list[np.ndarray]]:
    """Record episode ``i`` to ``out/<name>.mp4``; return the name (and the frames for a GIF)."""
    tmp = out / f".episode_{i:03d}.partial.mp4"
    frames: list[np.ndarray] = []
    with open_writer(tmp, fps) as writer:

        def sink(frame: np.ndarray) -> None:
            writer.append_data(frame)
            if gif:
                frames.append(frame)

        record = run_episode(env, policy, i, seed, EpisodeComposer(env, attention, sink, fps))
    name = f"episode_{i:03d}_seed{seed}_{record['outcome']}"
    os.replace(tmp, out / f"{name}.mp4")
    return name, frames


def record_episodes(
    policy_spec: PolicySpec,
    task: str,
    episodes: int,
    out_dir: str | os.PathLike,
    seed: int = 0,
    split: str = "train",
    gif: bool = False,
    attention: bool = True,
    env_kwargs: dict[str, Any] | None = None,
    sample: bool = False,
    grid: bool = True,
    fps: int = FPS,
    device: str = "cpu",
    progress: bool = True,
    subprocess: bool = False,
    seeds: list[int] | None = None,
) -> list[Path]:
    """Record ``episodes`` seeded episodes (env seed ``seed + i``) as MP4s in ``out_dir``.

    Args:
        policy_spec: "expert", "random" or a checkpoint directory.
        task: a MiniGround id.
        episodes: number of episodes, each written to ``episode_<i>_seed<s>_<outcome>.mp4``.
        out_dir: output folder (created).
        seed: env seed of episode 0 (the same episodes as ``evaluate`` with this seed).
        split: instruction split.
        gif: also write a half-size GIF per episode.
        attention: add the agent's attention heat-map panel (when its act() returns one).
        env_kwargs: extra ``envs.make`` kwargs.
        sample: sample a learned agent's actions instead of the argmax.
        grid: also write ``grid.mp4`` tiling the first four episodes (when there are two or more).
        fps: frames per second.
        device: torch device of a learned agent.
        progress: show a progress bar.
        subprocess: record in a fresh spawned process (when this one already has an env).
        seeds: the env seed of each episode (``episodes`` of them) instead of ``seed + i``.

    Returns:
        The written paths: episode MP4s, then GIFs, then the grid video.
    """
    check_task(task)
    check_split(split)
    if episodes < 1:
        raise ValueError(f"episodes must be >= 1, got {episodes}")
    seeds = [seed + i for i in range(episodes)] if seeds is None else [int(s) for s in seeds]
    if len(seeds) != episodes:
        raise ValueError(f"got {len(seeds)} seeds for {episodes} episodes")
    if subprocess:
        ctx = mp.get_context("spawn")
        with concurrent.futures.ProcessPoolExecutor(1, ctx, tie_to_parent) as pool:
            return pool.submit(
                record_episodes, policy_spec, task, episodes, out_dir, seed, split, gif,
                attention, env_kwargs, sample, grid, fps, device, False, False, seeds,
            ).result()  # fmt: skip
    agent = check_policy(policy_spec, task, device)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    # The evaluator's cheap label mode: a video replays its evaluation episode exactly and reads
    # no privileged label beyond the target's and the agent's positions.
    env = make_env(task, split, **with_eval_labels(env_kwargs_for(agent, env_kwargs)))
    videos: list[Path] = []
    gifs: list[Path] = []
    unknown: list[int] = []
    try:
        policy = make_policy(policy_spec, env, sample, device, agent)
        with one_torch_thread(agent is not None):
            for i in tqdm(range(episodes), desc="record", unit="ep", disable=not progress):
                name, frames = _record_one(env, policy, i, seeds[i], out, attention, gif, fps)
                videos.append(out / f"{name}.mp4")
                unknown.append(int(getattr(policy, "unknown_words", 0)))
                if gif:
                    gifs.append(_gif(frames, out / f"{name}.gif", fps))
    finally:
        env.close()
    if any(unknown):
        print(f"record: {sum(c > 0 for c in unknown)} of {len(unknown)} instructions held words "
              f"the agent does not know ({sum(unknown)} words in all; read as [UNK])",
              file=sys.stderr)  # fmt: skip
    paths = videos + gifs
    if grid and len(videos) > 1:
        paths.append(write_grid(videos, out / "grid.mp4", fps))
    return paths
