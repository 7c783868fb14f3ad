"""The pitched camera (exact labels stay exact) and the cheap label modes ("seen", "none")."""

from __future__ import annotations

import math

import numpy as np
import pytest
from miniworld.params import DEFAULT_PARAMS

import envs
from envs import camera, masks
from policies.teacher import make_teacher

HEAVY = ("target_visible", "visible_colors", "visible_shapes", "semantic_map")


def test_each_env_owns_its_pitch_params() -> None:
    before = DEFAULT_PARAMS.params["cam_pitch"]
    env = envs.make("MiniGround/GoToObject-v1", domain_rand=True)
    base = env.unwrapped
    assert DEFAULT_PARAMS.params["cam_pitch"] == before  # the shared global is untouched
    p = base.params.params["cam_pitch"]
    assert (p.default, p.min, p.max) == (-20.0, -25.0, -15.0)
    pitches = set()
    for seed in range(5):
        env.reset(seed=seed)
        assert -25.0 <= base.agent.cam_pitch <= -15.0
        pitches.add(round(float(base.agent.cam_pitch), 6))
    assert len(pitches) == 5
    env.close()
    env = envs.make("MiniGround/GoToObject-v0", cam_pitch=-10)
    env.reset(seed=0)
    assert env.unwrapped.agent.cam_pitch == -10.0
    env.close()


def test_pitched_id_pass_matches_the_frame_close_up() -> None:
    """A key 1 m ahead: under a level camera's view, in the pitched frame; its mask is the
    pixels it paints."""
    env = envs.make("MiniGround/GoToObject-v1")
    base = env.unwrapped
    env.reset(seed=4)
    key = next(e for e in base.objects if e.shape == "key")
    for ent in base.objects:
        if ent is not key:
            ent.pos = ent.pos + np.array([500.0, 0.0, 0.0])
    key.pos = np.array([4.0, 0.0, 4.0])
    base.agent.pos, base.agent.dir = np.array([3.0, 0.0, 4.0]), 0.0
    k = base.objects.index(key)
    frame = base.render_obs()
    ids = masks.object_id_map(base)
    key.pos = key.pos + np.array([500.0, 0.0, 0.0])
    without = base.render_obs()
    key.pos = key.pos - np.array([500.0, 0.0, 0.0])
    base._object_list_key = None
    changed = np.any(frame != without, axis=-1)
    mask = ids == k + 1
    assert mask.sum() >= 20
    assert changed[mask].mean() >= 0.95
    assert (changed & ~mask).sum() <= 0.2 * mask.sum()  # anti-aliased rim only
    base.agent.cam_pitch = 0
    base.render_obs()
    assert (masks.object_id_map(base) == k + 1).sum() == 0  # level: below the frame
    env.close()


def _scan_episodes(task_id: str, mode: str, seeds: range) -> tuple[list, int]:
    """target_seen per step of the scanning teacher, and how many id passes ran."""
    env = envs.make(task_id, labels=mode)
    calls = [0]
    real = masks.object_id_map

    def counted(e):
        calls[0] += 1
        return real(e)

    masks.object_id_map = counted
    try:
        runs = []
        for seed in seeds:
            _, info = env.reset(seed=seed)
            teacher = make_teacher(env, "scan")
            seq, done = [info["target_seen"]], False
            while not done:
                _, _, term, trunc, info = env.step(teacher())
                seq.append(info["target_seen"])
                done = term or trunc
            runs.append((seq, info["outcome"]))
    finally:
        masks.object_id_map = real
        env.close()
    return runs, calls[0]


@pytest.mark.parametrize("task_id", ["MiniGround/GoToObject-v1", "MiniGround/Sequence-v1"])
def test_seen_labels_give_the_exact_target_seen(task_id: str) -> None:
    seeds = range(1_000_000, 1_000_003)
    exact, exact_passes = _scan_episodes(task_id, "exact", seeds)
    seen, seen_passes = _scan_episodes(task_id, "seen", seeds)
    assert seen == exact
    assert all(outcome == "success" for _, outcome in seen)
    assert seen_passes < exact_passes / 4


def test_label_modes_give_their_keys() -> None:
    for mode, absent in (("seen", HEAVY), ("none", (*HEAVY, "target_seen"))):
        env = envs.make("MiniGround/PutNext-v1", labels=mode)
        for info in (env.reset(seed=0)[1], env.step(0)[4]):
            assert not set(absent) & set(info), mode
            assert {"target_bearing", "target_distance", "target_code", "moved"} <= set(info)
        if mode == "seen":
            assert "target_seen" in info
            make_teacher(env, "scan")  # the scanning teacher reads only what "seen" keeps
        else:
            with pytest.raises(ValueError, match="labels='seen'"):
                make_teacher(env, "scan")
        env.close()


def test_view_pretest_never_rejects_a_visible_object() -> None:
    """Random poses, pitches and domain randomisation: every object that shows on the pixels
    passes ``may_be_in_view`` even without its margin."""
    rng = np.random.default_rng(0)
    checked = 0
    for pitch, rand in ((0.0, False), (-20.0, True), (-45.0, False)):
        env = envs.make("MiniGround/GoToObject-v1", cam_pitch=pitch, domain_rand=rand)
        base = env.unwrapped
        for seed in range(3):
            env.reset(seed=seed)
            for _ in range(15):
                while True:
                    pos = np.array([rng.uniform(0.5, 7.5), 0.0, rng.uniform(0.5, 7.5)])
                    if not base.intersect(base.agent, pos, base.agent.radius):
                        break
                base.agent.pos, base.agent.dir = pos, float(rng.uniform(-math.pi, math.pi))
                base.render_obs()
                ids = masks.object_id_map(base)
                for k, ent in enumerate(base.objects):
                    if (ids == k + 1).any():
                        checked += 1
                        assert camera.may_be_in_view(base, ent, margin=0.0), (pitch, seed, k)
        env.close()
    assert checked >= 50
