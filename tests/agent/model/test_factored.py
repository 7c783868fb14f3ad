"""Factored vision: shapes, gradients, and what each pathway cannot see."""

from __future__ import annotations

import colorsys
import typing

import numpy as np
import pytest
import torch

from agent.data.cells import cell_codes
from agent.model.agent import Agent
from agent.model.config import FUSIONS, VISIONS, AgentConfig, Vision
from agent.model.factored import FactoredFusion, FactoredVision, color_features, pool_cells
from agent.model.perception import Perception

MISSIONS = ["go to the red ball", "go to the green key"]
STRIDES = [(2, 2, 2), (2, 2, 1)]


def _perception(make_config, **overrides) -> Perception:
    fields = {"fusion": "compositional", "vision": "factored", **overrides}
    return Perception(make_config(**fields)).eval()


def _dense(perception: Perception, pixels: torch.Tensor) -> dict[str, torch.Tensor]:
    text = perception.encode_text(MISSIONS[: len(pixels)], cached=False)
    return perception(pixels, text).dense


def test_vision_literal_matches_the_tuple() -> None:
    assert typing.get_args(Vision) == VISIONS


def test_shapes_and_gradients(make_config, make_images) -> None:
    perception = _perception(make_config, cnn_strides=(2, 2, 1)).train()
    assert isinstance(perception.vision, FactoredVision)
    assert isinstance(perception.fusion, FactoredFusion)
    pixels = perception.preprocess(make_images(2))
    out = perception(pixels, perception.encode_text(MISSIONS, cached=False))
    h, w = perception.grid_shape
    assert (h, w) == (15, 20) and out.attention.shape == (2, h, w)
    assert out.dense["cell_colors"].shape == (2, 7, h, w)
    assert out.dense["cell_shapes"].shape == (2, 4, h, w)
    assert out.dense["target_map"].shape == (2, h, w)
    loss = out.state.square().sum() + sum(v.square().sum() for v in out.dense.values())
    loss.backward()
    for name, p in [*perception.vision.named_parameters(), *perception.fusion.named_parameters()]:
        assert p.grad is not None and p.grad.abs().sum() > 0, name
    for head in (perception.fusion.color_head, perception.fusion.shape_head):
        blocked = head.mask.squeeze() == 0
        assert blocked.any() and head.weight.grad.squeeze()[blocked].abs().max() == 0


@pytest.mark.parametrize("fusion", FUSIONS)
def test_every_fusion_reads_the_factored_grid(make_config, make_images, fusion) -> None:
    perception = _perception(make_config, fusion=fusion)
    pixels = perception.preprocess(make_images(2))
    out = perception(pixels, perception.encode_text(MISSIONS, cached=False))
    assert out.state.shape == (2, 32) and out.attention.shape == (2, *perception.grid_shape)
    out.state.square().sum().backward()
    assert all(p.grad is not None for p in perception.vision.parameters())


@pytest.mark.parametrize("strides", STRIDES)
def test_pooling_windows_are_the_label_windows(strides) -> None:
    stride = int(np.prod(strides))
    grid = FactoredVision(AgentConfig(cnn_strides=strides)).grid_shape
    rng = np.random.default_rng(0)
    for _ in range(20):
        r, c = int(rng.integers(60)), int(rng.integers(80))
        semantic = np.zeros((1, 60, 80), np.uint8)
        semantic[0, r, c] = 5
        labelled = cell_codes(semantic, grid, stride)[0] > 0
        feature = torch.from_numpy(semantic[:, None].astype(np.float32))
        pooled = pool_cells(feature, grid, stride)[0]
        assert torch.equal(pooled[1] > 0, torch.from_numpy(labelled))  # max
        assert torch.equal(pooled[0] > 0, torch.from_numpy(labelled))  # mean


def _shuffle_within_cells(image: torch.Tensor, grid: tuple[int, int], stride: int) -> torch.Tensor:
    """Permute the pixels of each cell's window among themselves (windows as agent.data.cells)."""
    _, height, width = image.shape
    half = stride // 2
    rows = torch.arange(height)[:, None].expand(height, width)
    cols = torch.arange(width)[None, :].expand(height, width)
    cell = ((rows + half) // stride) * 1000 + (cols + half) // stride
    inside = ((rows + half) // stride < grid[0]) & ((cols + half) // stride < grid[1])
    flat, out = image.reshape(3, -1), image.clone().reshape(3, -1)
    gen = torch.Generator().manual_seed(0)
    for c in cell[inside].unique():
        where = torch.nonzero(((cell == c) & inside).flatten()).flatten()
        out[:, where] = flat[:, where[torch.randperm(len(where), generator=gen)]]
    return out.reshape(image.shape)


@pytest.mark.parametrize("strides", STRIDES)
def test_colour_logits_ignore_the_arrangement_of_pixels_in_a_cell(make_config, strides) -> None:
    perception = _perception(make_config, cnn_strides=strides)
    stride = perception.config.total_stride
    image = torch.rand(3, 60, 80)
    image[:, 20:40, 30:50] = torch.tensor([0.9, 0.1, 0.1])[:, None, None]  # a red square
    shuffled = _shuffle_within_cells(image, perception.grid_shape, stride)
    assert not torch.equal(image, shuffled)
    with torch.no_grad():
        a, b = (_dense(perception, x[None]) for x in (image, shuffled))
    n = perception.fusion.num_colors
    assert torch.allclose(a["cell_colors"][:, :n], b["cell_colors"][:, :n], atol=1e-5)
    assert not torch.allclose(a["cell_shapes"], b["cell_shapes"], atol=1e-3)  # shape sees it


def _rotate_hue(image: torch.Tensor, turn: float) -> torch.Tensor:
    """Rotate the hue of (3, H, W) floats in [0, 1] by ``turn`` of a full circle (HSV)."""
    pixels = image.permute(1, 2, 0).reshape(-1, 3).double().numpy()
    rotated = []
    for r, g, b in pixels:
        h, s, v = colorsys.rgb_to_hsv(r, g, b)
        rotated.append(colorsys.hsv_to_rgb((h + turn) % 1.0, s, v))
    out = torch.tensor(np.asarray(rotated), dtype=torch.float32)
    return out.reshape(image.shape[1], image.shape[2], 3).permute(2, 0, 1)


def test_shape_pathway_is_blind_to_hue_and_channel_order(make_config) -> None:
    perception = _perception(make_config, cnn_strides=(2, 2, 1))
    image = torch.rand(3, 60, 80)
    variants = [image[[1, 2, 0]], image[[2, 1, 0]], _rotate_hue(image, 0.37)]
    n_shape = perception.vision.shape_channels
    n = perception.fusion.num_shapes
    with torch.no_grad():
        base_grid = perception.vision(image[None])
        base = _dense(perception, image[None])
        for variant in variants:
            grid = perception.vision(variant[None])
            assert torch.allclose(grid[:, :n_shape], base_grid[:, :n_shape], atol=1e-6)
            other = _dense(perception, variant[None])
            assert torch.allclose(
                other["cell_shapes"][:, :n], base["cell_shapes"][:, :n], atol=1e-5
            )
            assert not torch.allclose(other["cell_colors"], base["cell_colors"], atol=1e-3)


def test_colour_jitter_only_in_train_mode(make_config) -> None:
    vision = FactoredVision(make_config(vision="factored", vision_jitter=0.3))
    images = torch.rand(2, 3, 60, 80)
    vision.eval()
    assert torch.equal(vision(images), vision(images))
    vision.train()
    assert not torch.equal(vision(images), vision(images))
    vision.jitter = 0.0
    assert torch.equal(vision(images), vision(images))


def test_config_fields_validate(make_config) -> None:
    with pytest.raises(ValueError, match="vision"):
        make_config(vision="both")
    with pytest.raises(ValueError, match="vision_jitter"):
        make_config(vision_jitter=1.5)
    with pytest.raises(ValueError, match="color_channels"):
        make_config(color_channels=0)


def test_save_load_round_trip(make_config, make_images, tmp_path) -> None:
    overrides = {"vision": "factored", "color_channels": 8, "vision_jitter": 0.25}
    config = make_config(fusion="compositional", **overrides)
    agent = Agent(config).eval()
    agent.save_pretrained(tmp_path / "ckpt")
    loaded = Agent.from_pretrained(tmp_path / "ckpt")
    assert loaded.config == agent.config
    assert (loaded.config.vision, loaded.config.color_channels) == ("factored", 8)
    assert loaded.config.vision_jitter == 0.25
    assert isinstance(loaded.perception.vision, FactoredVision)
    images = make_images(2)
    with torch.no_grad():
        a = agent.act(images, MISSIONS, agent.initial_memory(2), [True, True], True)
        b = loaded.act(images, MISSIONS, loaded.initial_memory(2), [True, True], True)
    assert torch.allclose(a.logits, b.logits) and torch.allclose(a.attention, b.attention)


def test_colour_features_drop_grey_and_light_intensity() -> None:
    pixels = torch.tensor([[0.4, 0.4, 0.4], [0.9, 0.1, 0.1], [0.2, 0.6, 0.9], [0.5, 0.9, 0.0]])
    image = pixels.T.reshape(1, 3, 2, 2)
    features = color_features(image)
    assert features.shape == (1, 4, 2, 2) and (features >= 0).all()
    assert torch.equal(features[0, :3, 0, 0], torch.zeros(3))  # grey: no colour
    assert torch.allclose(features[0, 3], image[0].amax(0))  # brightness
    dimmer = color_features(0.6 * image)[0, :3]
    assert torch.allclose(dimmer, features[0, :3], rtol=0.1, atol=0.0)  # same colour, less light
