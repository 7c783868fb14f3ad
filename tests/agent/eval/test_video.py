"""Rollout videos: frame composition, MP4/GIF read-back, attention panel, bad input."""

from __future__ import annotations

from pathlib import Path

import imageio.v2 as imageio
import numpy as np
import pytest
import torch
from PIL import Image

from agent.cli import main as cli_main
from agent.eval.evaluation import evaluate
from agent.eval.video import FPS, HOLD_SECONDS, record_episodes
from agent.eval.video_frames import (
    CAPTION_H,
    STATUS_H,
    WALL,
    compose_frame,
    crop_world,
    draw_banner,
    draw_map,
    heatmap_overlay,
    tile,
)
from agent.model.agent import Agent
from agent.model.config import AgentConfig

TASK = "MiniGround/GoToObject-v0"
HOLD = round(HOLD_SECONDS * FPS)
EGO_W, MAP_W = 320, 240  # 80x60 upscaled 4x; the square room's map scaled to the ego height


def read_video(path: Path) -> np.ndarray:
    reader = imageio.get_reader(str(path), format="FFMPEG")
    try:
        return np.stack([frame for frame in reader])
    finally:
        reader.close()


def test_compose_frame_sizes_are_even() -> None:
    rng = np.random.default_rng(0)
    ego = rng.integers(0, 255, (61, 81, 3), dtype=np.uint8)
    top = rng.integers(0, 255, (240, 320, 3), dtype=np.uint8)
    frame = compose_frame(ego, top, "go to the red ball", "step 3/200   action: turn_left")
    assert frame.dtype == np.uint8 and frame.shape[0] % 2 == 0 and frame.shape[1] % 2 == 0
    assert frame.shape[0] == CAPTION_H + 244 + STATUS_H
    with_att = compose_frame(ego, top, "x", "y", attention=rng.random((8, 10)))
    assert with_att.shape[1] == frame.shape[1] + 324 and with_att.shape[0] == frame.shape[0]
    forced = compose_frame(ego, top, "x", "y", attention=None, attention_panel=True)
    assert forced.shape == with_att.shape
    assert draw_banner(frame, "success").shape == frame.shape
    assert tile([frame] * 3).shape == (frame.shape[0], frame.shape[1], 3)  # 2x2 at half size


def test_draw_map_marks_world_positions() -> None:
    top = np.zeros((100, 120, 3), dtype=np.uint8)
    scale = {"x_scale": 10.0, "z_scale": 10.0, "x_offset": 10, "z_offset": 5}
    out = draw_map(top, scale, [(1.0, 1.0), (5.0, 1.0)], target=(8.0, 6.0, 0.5))
    assert tuple(out[15, 40]) == (255, 0, 255)  # trajectory at z=1 -> py 15, x=3 -> px 40
    ring = out[65, 90 - 10 : 90 + 11]  # target centre (90, 65), radius 0.5 * 10 + 5 = 10 px
    assert (ring == 255).all(axis=1).any() and tuple(out[65, 90]) == (0, 0, 0)
    walls = np.array([[[0.0, 0.0, 0.0], [8.0, 0.0, 0.0]]])  # z=0 -> py 5, x 0..8 -> px 10..90
    assert tuple(draw_map(top, scale, [], None, walls=walls)[5, 50]) == WALL
    assert crop_world(top, scale, (0.0, 8.0, 0.0, 8.0)).shape == (93, 96, 3)  # clipped at 0


def test_heatmap_overlay_follows_attention() -> None:
    image = np.full((40, 40, 3), 128, dtype=np.uint8)
    att = np.zeros((2, 2))
    att[0, 0] = 1.0
    out = heatmap_overlay(image, att).astype(int)
    assert out[2, 2, 0] > out[2, 2, 2]  # hot: red
    assert out[37, 37, 2] > out[37, 37, 0]  # cold: blue


def test_record_expert_mp4_gif_and_grid(tmp_path: Path) -> None:
    env_kwargs = {"max_steps": 12}
    records = evaluate("expert", TASK, episodes=2, seed=1, env_kwargs=env_kwargs, progress=False)
    paths = record_episodes("expert", TASK, 2, tmp_path, seed=1, gif=True,
                            env_kwargs=env_kwargs, progress=False)  # fmt: skip
    mp4s = [p for p in paths if p.name.startswith("episode") and p.suffix == ".mp4"]
    assert len(mp4s) == 2 and len([p for p in paths if p.suffix == ".gif"]) == 2
    assert (tmp_path / "grid.mp4") in paths
    for path, record in zip(mp4s, records, strict=True):
        name = f"episode_{record['episode']:03d}_seed{record['seed']}_{record['outcome']}.mp4"
        assert path.name == name
        frames = read_video(path)
        height = CAPTION_H + 240 + STATUS_H
        assert frames.shape == (record["steps"] + 1 + HOLD, height, EGO_W + MAP_W, 3)
        assert path.stat().st_size < 400_000
    grid = read_video(tmp_path / "grid.mp4")
    assert grid.shape[0] == max(r["steps"] for r in records) + 1 + HOLD
    assert grid.shape[1:] == (height // 2, EGO_W + MAP_W, 3)  # two half-size tiles in a row
    with Image.open(paths[2]) as gif:  # Pillow merges the held frames into one long frame
        total_ms = 0
        for k in range(gif.n_frames):
            gif.seek(k)
            total_ms += gif.info["duration"]
        assert gif.size == ((EGO_W + MAP_W) // 2, height // 2)
    assert total_ms == pytest.approx((records[0]["steps"] + 1 + HOLD) * 1000 / FPS)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_record_checkpoint_adds_attention_panel(tmp_path: Path) -> None:
    torch.manual_seed(0)
    config = AgentConfig(cnn_channels=(8, 16, 16), text_size=16, text_layers=1, state_size=32,
                         memory_size=16, head_hidden=16)  # fmt: skip
    ckpt = Agent(config).save_pretrained(tmp_path / "ckpt")
    (path,) = record_episodes(ckpt, TASK, 1, tmp_path / "videos", env_kwargs={"max_steps": 6},
                              progress=False)  # fmt: skip
    frames = read_video(path)
    assert frames.shape[2] == 2 * EGO_W + MAP_W and frames.shape[0] <= 6 + 1 + HOLD
    (plain,) = record_episodes(ckpt, TASK, 1, tmp_path / "plain", attention=False,
                               env_kwargs={"max_steps": 6}, progress=False)  # fmt: skip
    assert read_video(plain).shape[2] == EGO_W + MAP_W


def test_record_bad_input(tmp_path: Path, capsys) -> None:
    with pytest.raises(ValueError, match="does not exist"):
        record_episodes(tmp_path / "missing", TASK, 1, tmp_path / "out")
    with pytest.raises(ValueError, match="episodes must be >= 1"):
        record_episodes("expert", TASK, 0, tmp_path / "out")
    with pytest.raises(ValueError, match="unknown split"):
        record_episodes("expert", TASK, 1, tmp_path / "out", split="nope")
    missing = str(tmp_path / "missing")
    assert cli_main(["record", "--checkpoint", missing, "--out", str(tmp_path / "o")]) == 2
    assert "does not exist" in capsys.readouterr().err
