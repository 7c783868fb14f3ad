"""Agent configuration: one dataclass, stored as ``config.json`` in every checkpoint."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Literal

from agent.utils.configs import from_values

Fusion = Literal["concat", "film", "gated", "cross_attention", "compositional"]
"""Fusion modes the command line accepts (a test keeps them equal to ``FUSIONS``)."""

Memory = Literal["gru", "lstm"]
"""Recurrent cores the command line accepts."""

FUSIONS: tuple[str, ...] = ("concat", "film", "gated", "cross_attention", "compositional")
"""Fusion modes of the perception module."""

MEMORIES: tuple[str, ...] = ("gru", "lstm")
"""Recurrent cores of the policy."""

Vision = Literal["shared", "factored"]
"""Vision encoders the command line accepts (a test keeps them equal to ``VISIONS``)."""

VISIONS: tuple[str, ...] = ("shared", "factored")
"""Vision encoders: one CNN on RGB, or colour and shape pathways (:mod:`agent.model.factored`)."""

TEXT_ENCODERS: tuple[str, ...] = ("transformer", "gru", "pretrained:minilm", "pretrained:<dir>")
"""Text encoder specs (``pretrained:<dir>`` names any local Hugging Face encoder directory)."""

DEFAULT_COLORS: tuple[str, ...] = ("blue", "green", "grey", "purple", "red", "yellow")
"""The tasks' colour names when this was written (a test keeps them equal to envs.language's)."""

DEFAULT_SHAPES: tuple[str, ...] = ("ball", "box", "key")
"""The tasks' shape names when this was written (a test keeps them equal to envs.language's)."""

DEFAULT_VOCAB: tuple[str, ...] = (
    "ball", "blue", "box", "get", "go", "grab", "green", "grey", "key", "next", "pick", "place",
    "purple", "put", "reach", "red", "the", "then", "to", "up", "yellow",
)  # fmt: skip
"""The ``train`` split's words when this was written: the word-level tokenizer's vocabulary when
``AgentConfig.vocab`` is empty (a test keeps it equal to ``envs.language.vocabulary("train")``)."""


@dataclass
class AgentConfig:
    """Everything needed to rebuild an agent's network (not its training)."""

    obs_height: int = 60
    """Height in pixels of the camera frames the agent sees."""
    obs_width: int = 80
    """Width in pixels of the camera frames the agent sees."""
    num_actions: int = 3
    """Size of the discrete action space (3 for go-to tasks, 5 with pickup/drop)."""
    text_encoder: str = "transformer"
    """'transformer' | 'gru' | 'pretrained:minilm' | 'pretrained:<local HF encoder dir>'."""
    fusion: Fusion = "film"
    """How vision and language meet: 'concat' | 'film' | 'gated' | 'cross_attention' |
    'compositional' (per-cell colour and shape heads matched to the instruction's queries)."""
    cnn_channels: tuple[int, ...] = (16, 32, 32)
    """Output channels of each conv layer of the vision encoder."""
    cnn_kernels: tuple[int, ...] = (5, 3, 3)
    """Kernel size of each conv layer (same length as cnn_channels)."""
    cnn_strides: tuple[int, ...] = (2, 2, 2)
    """Stride of each conv layer (same length as cnn_channels)."""
    text_size: int = 64
    """Width of the instruction encoding (token features and pooled vector)."""
    text_layers: int = 2
    """Layers of the transformer text encoder (GRU encoder: always one layer)."""
    text_heads: int = 2
    """Attention heads of the transformer text encoder and of cross-attention fusion."""
    max_text_len: int = 32
    """Instructions are truncated to this many tokens."""
    film_layers: int = 2
    """Number of FiLM-conditioned conv blocks (fusion='film')."""
    compose_channels: int = 8
    """Image-feature channels per cell that reach the state next to the target map
    (fusion='compositional')."""
    # --- factored vision (issue 28, item 5) ---
    vision: Vision = "shared"
    """'shared': one CNN on RGB feeds every head. 'factored': a per-pixel colour pathway pooled
    per cell (it cannot see shape) beside a CNN on colour-free brightness (it cannot see colour);
    with fusion='compositional' the colour head reads only the first, the shape head only the
    second (agent.model.factored)."""
    color_channels: int = 16
    """Channels of the factored colour pathway's per-cell MLP (on pooled per-pixel colours)."""
    vision_jitter: float = 0.0
    """Strength of the factored vision's train-mode colour jitter (per image and channel: gain
    1 +- s, offset +- s/2, like MiniWorld's light and object-colour randomisation); 0: off."""
    state_size: int = 128
    """Width of the fused state vector given to the policy."""
    memory: Memory = "gru"
    """Recurrent core of the policy: 'gru' | 'lstm'."""
    memory_size: int = 128
    """Hidden size of the recurrent core (an LSTM memory packs h and c: twice this)."""
    head_hidden: int = 64
    """Hidden width of the actor and critic MLP heads."""
    aux_heads: bool = True
    """Add auxiliary prediction heads (target visible/bearing/distance, visible colours/shapes)."""
    freeze_pretrained: bool = True
    """Keep a pretrained text encoder frozen (its weights then stay out of model.safetensors)."""
    text_cache_size: int = 1024
    """Bound on the number of instruction encodings cached during no-grad rollouts."""
    proprioception: bool | None = None
    """Read the env's proprioception (``prev_action`` and ``moved``, the ``-v1`` tasks) next to the
    fused state. None: the trainer decides from its data (on when the demos or the env carry
    it); a built agent always holds True or False."""
    colors: tuple[str, ...] = DEFAULT_COLORS
    """Colour names the agent was trained on, in class order (the compositional heads' classes;
    object code = 1 + colour index * len(shapes) + shape index). Trainers fill it from the task."""
    shapes: tuple[str, ...] = DEFAULT_SHAPES
    """Shape names the agent was trained on, in class order. Trainers fill it from the task."""
    vocab: tuple[str, ...] = ()
    """Words of the word-level tokenizer (trainers fill it with the training split's words; empty:
    ``DEFAULT_VOCAB``). A built agent records its tokenizer's words here."""

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Raise ValueError naming the first malformed field."""
        for name in ("obs_height", "obs_width", "text_size", "state_size", "memory_size"):
            _positive_int(self, name)
        for name in ("num_actions", "max_text_len", "head_hidden", "text_layers", "text_heads"):
            _positive_int(self, name)
        _positive_int(self, "text_cache_size")
        _positive_int(self, "film_layers")
        _positive_int(self, "compose_channels")
        _check_vision(self)
        if self.num_actions < 2:
            raise ValueError(f"num_actions must be >= 2, got {self.num_actions}")
        if self.fusion not in FUSIONS:
            raise ValueError(f"unknown fusion {self.fusion!r}; choose one of {', '.join(FUSIONS)}")
        if self.memory not in MEMORIES:
            raise ValueError(f"unknown memory {self.memory!r}; choose one of {', '.join(MEMORIES)}")
        te = self.text_encoder
        if not isinstance(te, str) or not (
            te in ("transformer", "gru") or (te.startswith("pretrained:") and len(te) > 11)
        ):
            raise ValueError(
                f"unknown text_encoder {te!r}; choose one of {', '.join(TEXT_ENCODERS)}"
            )
        for name in ("cnn_channels", "cnn_kernels", "cnn_strides"):
            value = tuple(getattr(self, name))
            if not value or not all(isinstance(v, int) and v > 0 for v in value):
                raise ValueError(f"{name} must be a non-empty sequence of positive ints")
            setattr(self, name, value)
        if not len(self.cnn_channels) == len(self.cnn_kernels) == len(self.cnn_strides):
            raise ValueError("cnn_channels, cnn_kernels and cnn_strides must have the same length")
        if self.text_size % self.text_heads:
            raise ValueError(
                f"text_size ({self.text_size}) must be divisible by text_heads ({self.text_heads})"
            )
        for name in ("aux_heads", "freeze_pretrained"):
            if not isinstance(getattr(self, name), bool):
                raise ValueError(f"{name} must be a bool, got {getattr(self, name)!r}")
        if self.proprioception is not None and not isinstance(self.proprioception, bool):
            raise ValueError(f"proprioception must be a bool or None, got {self.proprioception!r}")
        _words(self, "colors", nonempty=True)
        _words(self, "shapes", nonempty=True)
        _words(self, "vocab", nonempty=False)

    @property
    def total_stride(self) -> int:
        """Pixels per cell of the CNN's grid (the product of the strides)."""
        out = 1
        for s in self.cnn_strides:
            out *= s
        return out

    @property
    def is_pretrained(self) -> bool:
        """Whether the text encoder is a pretrained Hugging Face model."""
        return self.text_encoder.startswith("pretrained:")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (tuples become lists)."""
        return {
            f.name: list(v) if isinstance(v := getattr(self, f.name), tuple) else v
            for f in dataclasses.fields(self)
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AgentConfig:
        """Build a config from a dict; ValueError on unknown, mistyped or malformed fields."""
        if not isinstance(data, dict):
            raise ValueError(f"agent config must be a JSON object, got {type(data).__name__}")
        return from_values(cls, data, what="agent config")


def _positive_int(config: AgentConfig, name: str) -> None:
    value = getattr(config, name)
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise ValueError(f"{name} must be a positive int, got {value!r}")


def _words(config: AgentConfig, name: str, nonempty: bool) -> None:
    """Check a field of distinct non-empty strings and store it as a tuple."""
    value = getattr(config, name)
    if isinstance(value, str) or not all(isinstance(v, str) and v for v in value):
        raise ValueError(f"{name} must be a sequence of non-empty strings, got {value!r}")
    value = tuple(value)
    if nonempty and not value:
        raise ValueError(f"{name} must not be empty")
    if len(set(value)) != len(value):
        raise ValueError(f"{name} has repeated entries: {value!r}")
    setattr(config, name, value)


def _check_vision(config: AgentConfig) -> None:
    """Validate the factored-vision fields."""
    if config.vision not in VISIONS:
        raise ValueError(f"unknown vision {config.vision!r}; choose one of {', '.join(VISIONS)}")
    _positive_int(config, "color_channels")
    jitter = config.vision_jitter
    if isinstance(jitter, bool) or not isinstance(jitter, int | float) or not 0 <= jitter < 1:
        raise ValueError(f"vision_jitter must be a number in [0, 1), got {jitter!r}")
