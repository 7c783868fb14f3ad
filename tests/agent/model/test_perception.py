"""Vision encoder, fusion modes and the perception module."""

from __future__ import annotations

import pytest
import torch

from agent.model.config import FUSIONS
from agent.model.perception import Perception, VisionEncoder

TEXT_ENCODERS = ("transformer", "gru", "pretrained")
MISSIONS = ["go to the red ball", "pick up the blue key", "go to the red ball"]


@pytest.mark.parametrize(("height", "width", "grid"), [(60, 80, (8, 10)), (120, 160, (15, 20))])
def test_vision_grid_follows_observation_size(make_config, height, width, grid) -> None:
    vision = VisionEncoder(make_config(obs_height=height, obs_width=width))
    assert vision.grid_shape == grid
    out = vision(torch.rand(2, 3, height, width))
    assert out.shape == (2, vision.out_channels, *grid)


@pytest.mark.parametrize("encoder", TEXT_ENCODERS)
@pytest.mark.parametrize("fusion", FUSIONS)
def test_forward_backward_every_combination(make_config, make_images, fusion, encoder) -> None:
    perception = Perception(make_config(fusion=fusion, text_encoder=encoder))
    pixels = perception.preprocess(make_images(3))
    out = perception(pixels, perception.encode_text(MISSIONS, cached=False))
    assert out.state.shape == (3, 32)
    assert out.attention.shape == (3, *perception.grid_shape)
    assert torch.isfinite(out.state).all() and torch.isfinite(out.attention).all()
    out.state.square().sum().backward()
    vision_grads = [p.grad for p in perception.vision.parameters()]
    assert all(g is not None and g.abs().sum() > 0 for g in vision_grads)
    text_params = [p for p in perception.text.parameters() if p.requires_grad]
    assert text_params and all(p.grad is not None and p.grad.abs().sum() > 0 for p in text_params
                               if p.dim() > 1), "a text weight received no gradient"  # fmt: skip
    fusion_grads = [p.grad for p in perception.fusion.parameters()]
    assert all(g is not None for g in fusion_grads)


@pytest.mark.parametrize("fusion", FUSIONS)
def test_other_observation_size_works_end_to_end(make_config, make_images, fusion) -> None:
    perception = Perception(make_config(fusion=fusion, obs_height=120, obs_width=160))
    pixels = perception.preprocess(make_images(2, height=120, width=160))
    out = perception(pixels, perception.encode_text(MISSIONS[:2], cached=True))
    assert out.state.shape == (2, 32) and out.attention.shape == (2, 15, 20)


def test_cross_attention_map_is_a_distribution(make_config, make_images) -> None:
    perception = Perception(make_config(fusion="cross_attention"))
    pixels = perception.preprocess(make_images(3))
    out = perception(pixels, perception.encode_text(MISSIONS, cached=True))
    assert (out.attention >= 0).all()
    assert torch.allclose(out.attention.sum((1, 2)), torch.ones(3), atol=1e-5)


@pytest.mark.parametrize("fusion", FUSIONS)
def test_map_depends_on_the_instruction_for_conditioned_fusions(make_config, make_images, fusion):
    perception = Perception(make_config(fusion=fusion))
    pixels = perception.preprocess(make_images(1).repeat(2, axis=0))
    out = perception(pixels, perception.encode_text(["go to the red ball", "grab the key"], True))
    same_map = torch.allclose(out.attention[0], out.attention[1])
    assert same_map == (fusion == "concat"), "only concat's map ignores the instruction"
    assert not torch.allclose(out.state[0], out.state[1])


def test_preprocess_scales_and_checks_shape(make_config, make_images) -> None:
    perception = Perception(make_config())
    images = make_images(2)
    pixels = perception.preprocess(images)
    assert pixels.shape == (2, 3, 60, 80) and pixels.dtype == torch.float32
    assert torch.allclose(pixels[1, 2], torch.from_numpy(images[1, :, :, 2]).float() / 255)
    sequence = perception.preprocess(make_images(4, 2))
    assert sequence.shape == (8, 3, 60, 80)
    with pytest.raises(ValueError, match="60, 80, 3"):
        perception.preprocess(make_images(2, height=64, width=64))
