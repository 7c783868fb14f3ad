"""The shared base of every MiniGround task: rooms, objects, instruction, commits and info.

Committing to an object is deliberate: a forward move blocked by the object (go-to tasks), or
picking it up (pickup / put-next). Passing near an object never ends an episode.

Reward (sparse): ``1 - 0.9 * steps / max_steps`` on success, 0 otherwise (wrong object, timeout).

Sensors: the camera's pitch is a task parameter (``cam_pitch``, degrees; see ``envs.camera``), and
``proprioception=True`` adds the previous action and a bump sensor (``moved``: did the last action
change the agent's position or heading) to the observation. ``info`` carries both in every task.
"""

from __future__ import annotations

import math
import string
from typing import Any

import numpy as np
from gymnasium import spaces

from envs import camera, choice, labels, masks, navigation
from envs.language import (
    COLORS,
    SHAPES,
    Instruction,
    check_split,
    sample_instruction,
    target_combos,
)
from envs.rendering import (
    RENDER_HELP,
    RenderingUnavailableError,
    fast_readback,
    import_miniworld,
    quiet_stdout,
    render_world_cached,
)

mw = import_miniworld()
from miniworld.entity import Ball, Box, Entity, Key  # noqa: E402

OBJECT_GAP = 0.8
"""Minimum free gap (metres) between two objects' discs at placement."""
WALL_GAP = 0.15
"""Minimum gap between an object's disc and a wall at placement."""
CONTACT = 0.25
"""An agent is in contact with an object when its centre is this close to the object's disc."""
MAX_SHAPE_RADIUS = 0.5
SPL_RESOLUTION = 0.2
"""Grid resolution (metres) of the shortest-path lengths reported for SPL (cheap at reset)."""
MISSION_CHARSET = string.ascii_lowercase + " ,"
LABEL_MODES: tuple[str, ...] = ("exact", "geometric", "seen", "none")
"""Privileged visibility labels: every label from an id render pass (``exact``) or from the
floor-plane test (``geometric``); only an exact ``target_seen`` (``seen``, cheap); none (``none``).
See ``envs.labels.step_labels``."""

ACTION_NAMES: tuple[str, ...] = (
    "turn_left",
    "turn_right",
    "move_forward",
    "pickup",
    "drop",
    "move_back",
)


def make_object(color: str, shape: str) -> Entity:
    """A MiniWorld entity for a colour-shape pair, tagged with ``color`` and ``shape``."""
    if color not in COLORS:
        raise ValueError(f"unknown colour {color!r}; choose one of {', '.join(COLORS)}")
    if shape == "ball":
        ent: Entity = Ball(color, size=0.6)
    elif shape == "box":
        ent = Box(color, size=0.7)
    elif shape == "key":
        ent = Key(color)
    else:
        raise ValueError(f"unknown shape {shape!r}; choose one of {', '.join(SHAPES)}")
    ent.color = color
    ent.shape = shape
    return ent


class MiniGroundEnv(mw.MiniWorldEnv):
    """Base class: one or more rectangular rooms, named objects, distractors and an instruction.

    Subclasses set the class attributes and implement ``_choose_objects``; they may override
    ``_build_rooms``, ``_on_bump``, ``_on_pickup`` and ``_on_drop``.
    """

    family: str = "goto"
    action_names: tuple[str, ...] = ("turn_left", "turn_right", "move_forward")
    default_max_steps: int = 200
    default_distractors: int = 4
    default_room_size: float = 8.0
    num_named: int = 1

    metadata = {"render_modes": ["human", "rgb_array"], "render_fps": 10}

    def __init__(
        self,
        split: str = "train",
        num_distractors: int | None = None,
        room_size: float | None = None,
        obs_width: int = 80,
        obs_height: int = 60,
        max_steps: int | None = None,
        domain_rand: bool = False,
        render_mode: str | None = None,
        view_size: tuple[int, int] = (320, 240),
        task_id: str = "",
        labels: str = "exact",
        cam_pitch: float = 0.0,
        proprioception: bool = False,
    ) -> None:
        if labels not in LABEL_MODES:
            raise ValueError(f"unknown labels mode {labels!r}; choose one of {LABEL_MODES}")
        if not isinstance(proprioception, bool):
            raise ValueError(f"proprioception must be True or False, got {proprioception!r}")
        self.label_mode = labels
        params = camera.camera_params(cam_pitch)  # validates it
        self.cam_pitch = float(cam_pitch)
        """The camera's pitch in degrees (the default of the env's own ``params``)."""
        self.proprioception = proprioception
        self.last_action: int | None = None
        self.moved = False
        self.split = check_split(split)
        self.num_distractors = (
            self.default_distractors
            if num_distractors is None
            else _whole("num_distractors", num_distractors)
        )
        self.room_size = float(self.default_room_size if room_size is None else room_size)
        self.task_id = task_id or type(self).__name__
        max_steps = self.default_max_steps if max_steps is None else _whole("max_steps", max_steps)
        self._validate(obs_width, obs_height, max_steps, render_mode)
        self.instruction: Instruction | None = None
        self.outcome: str | None = None
        try:
            with quiet_stdout():
                super().__init__(
                    max_episode_steps=max_steps,
                    obs_width=obs_width,
                    obs_height=obs_height,
                    window_width=view_size[0],
                    window_height=view_size[1],
                    params=params,
                    domain_rand=domain_rand,
                    render_mode=render_mode,
                )
        except RenderingUnavailableError:
            raise
        except Exception as exc:
            if "GL" in type(exc).__name__ or "Display" in type(exc).__name__ or "EGL" in str(exc):
                raise RenderingUnavailableError(f"{RENDER_HELP} (cause: {exc!r})") from exc
            raise
        fast_readback(self.obs_fb)
        fast_readback(self.vis_fb)
        self.action_space = spaces.Discrete(len(self.action_names))
        obs_spaces: dict[str, spaces.Space] = {
            "image": spaces.Box(0, 255, (obs_height, obs_width, 3), dtype=np.uint8),
            "mission": spaces.Text(max_length=200, charset=MISSION_CHARSET),
        }
        if proprioception:
            # prev_action: the last action's index, len(action_names) ("none") at reset.
            obs_spaces["prev_action"] = spaces.Discrete(len(self.action_names) + 1)
            obs_spaces["moved"] = spaces.Discrete(2)
        self.observation_space = spaces.Dict(obs_spaces)

    # ----------------------------------------------------------------- validation
    def _capacity(self) -> int:
        """How many objects the floor plan holds with room to spare (checked up front)."""
        per_object = math.pi * (MAX_SHAPE_RADIUS + OBJECT_GAP / 2) ** 2
        usable = 0.0
        for rx0, rx1, rz0, rz1 in self._room_rects():
            side_x = rx1 - rx0 - 2 * (MAX_SHAPE_RADIUS + WALL_GAP)
            side_z = rz1 - rz0 - 2 * (MAX_SHAPE_RADIUS + WALL_GAP)
            usable += max(side_x, 0.0) * max(side_z, 0.0)
        return int(0.4 * usable / per_object)

    def _max_distractors(self) -> int:
        """Most distractors that keep every object a distinct colour-shape pair."""
        return len(COLORS) * len(SHAPES) - self.num_named

    def _validate(
        self, obs_width: int, obs_height: int, max_steps: int, render_mode: str | None
    ) -> None:
        if self.room_size < 3.0:
            raise ValueError(f"room_size must be >= 3 metres, got {self.room_size}")
        if self.num_distractors < 0:
            raise ValueError(f"num_distractors must be >= 0, got {self.num_distractors}")
        if self.num_distractors > self._max_distractors():
            raise ValueError(
                f"num_distractors={self.num_distractors} is more than the "
                f"{self._max_distractors()} distinct objects this task can place"
            )
        total = self.num_named + self.num_distractors
        if total > self._capacity():
            raise ValueError(
                f"{total} objects do not fit in rooms of {self.room_size} m (at most "
                f"{self._capacity()}); lower num_distractors or raise room_size"
            )
        if obs_width < 8 or obs_height < 8:
            raise ValueError(f"observation must be at least 8x8, got {obs_width}x{obs_height}")
        if max_steps < 1:
            raise ValueError(f"max_steps must be >= 1, got {max_steps}")
        if render_mode not in (None, "human", "rgb_array"):
            raise ValueError(
                f"render_mode must be None, 'human' or 'rgb_array', got {render_mode!r}"
            )

    # ----------------------------------------------------------------- world generation
    def _room_rects(self) -> list[tuple[float, float, float, float]]:
        """Room rectangles (min_x, max_x, min_z, max_z)."""
        return [(0.0, self.room_size, 0.0, self.room_size)]

    def _build_rooms(self) -> None:
        for rx0, rx1, rz0, rz1 in self._room_rects():
            self.add_rect_room(min_x=rx0, max_x=rx1, min_z=rz0, max_z=rz1)

    def _choose_objects(self) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
        """Return (named objects in instruction order, distractors) as colour-shape pairs."""
        raise NotImplementedError

    def _two_named(self) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
        """Two distinct named objects from the split's target pairs, then the distractors."""
        combos = target_combos(self.split)
        named = list(self._choice.objects) if self._choice else []
        if not named:
            i, j = self.np_random.choice(len(combos), size=2, replace=False)
            named = [combos[int(i)], combos[int(j)]]
        elif len(named) == 1:  # the second is drawn among the split's other target pairs
            rest = [c for c in combos if c != named[0]]
            named.append(rest[int(self.np_random.integers(len(rest)))])
        return named, self._sample_distractors(named)

    def _sample_distractors(
        self, named: list[tuple[str, str]], candidates: list[tuple[str, str]] | None = None
    ) -> list[tuple[str, str]]:
        """Distinct colour-shape pairs, none equal to a named object."""
        pool = candidates or [(c, s) for c in COLORS for s in SHAPES]
        pool = [p for p in pool if p not in named]
        if len(pool) < self.num_distractors:
            raise ValueError(
                f"only {len(pool)} distractors are possible here, asked for {self.num_distractors}"
            )
        idx = self.np_random.choice(len(pool), size=self.num_distractors, replace=False)
        return [pool[int(i)] for i in idx]

    def _gen_world(self) -> None:
        self._build_rooms()
        named, distractors = self._choose_objects()
        self.named = [make_object(c, s) for c, s in named]
        self.objects = self.named + [make_object(c, s) for c, s in distractors]
        order = self.np_random.permutation(len(self.objects))
        self._place_all([self.objects[int(i)] for i in order])
        chosen = self._choice.instruction if self._choice else None
        self.instruction = chosen or sample_instruction(
            self.family, self.split, self.np_random, tuple(named)
        )

    def _sample_point(self, margin: float) -> np.ndarray:
        rects = self._room_rects()
        rx0, rx1, rz0, rz1 = rects[int(self.np_random.integers(len(rects)))]
        x = self.np_random.uniform(rx0 + margin, rx1 - margin)
        z = self.np_random.uniform(rz0 + margin, rz1 - margin)
        return np.array([x, 0.0, z])

    def _placement_ok(self, pos: np.ndarray, radius: float) -> bool:
        """Whether an object of ``radius`` may stand at ``pos`` (subclasses keep doors clear)."""
        return True

    def _place_all(self, objects: list[Entity]) -> None:
        """Place objects then the agent with bounded retries (MiniWorld's own loop is unbounded)."""
        for _ in range(50):
            placed: list[tuple[np.ndarray, float]] = []
            ok = True
            for ent in objects:
                for _ in range(200):
                    pos = self._sample_point(ent.radius + WALL_GAP)
                    if self._placement_ok(pos, ent.radius) and all(
                        np.linalg.norm(pos - p) >= ent.radius + r + OBJECT_GAP for p, r in placed
                    ):
                        placed.append((pos, ent.radius))
                        break
                else:
                    ok = False
                    break
            if not ok:
                continue
            for _ in range(500):
                apos = self._sample_point(self.agent.radius + 0.1)
                if all(
                    np.linalg.norm(apos - p) >= self.agent.radius + r + CONTACT + 0.3
                    for p, r in placed
                ):
                    break
            else:
                continue
            for ent, (pos, _) in zip(objects, placed, strict=True):
                self.place_entity(ent, pos=pos, dir=self.np_random.uniform(-math.pi, math.pi))
            self.place_agent(pos=apos, dir=self.np_random.uniform(-math.pi, math.pi))
            return
        raise RuntimeError(
            "could not place the objects after 50 attempts; "
            "lower num_distractors or raise room_size"
        )

    # ----------------------------------------------------------------- episode state
    @property
    def target(self) -> Entity:
        """The object the agent must commit to now."""
        return self.named[min(self.stage, len(self.named) - 1)]

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """Start an episode; ``reset(seed=s)`` reproduces layout, instruction and first image.

        ``options`` may choose the target or the mission text (see ``envs.choice``).
        """
        self._choice = choice.resolve(options, self.family, self.split, self.num_named)
        self.stage = 0
        self.outcome = None
        self.reached: Entity | None = None
        self.seen_ids: set[int] = set()
        self.last_action = None
        self.moved = False
        self.path_length = 0.0
        self._fields: dict[Any, tuple[navigation.Grid, np.ndarray]] = {}
        self._object_list_key: tuple | None = None  # new entities: recompile their display list
        image, _ = super().reset(seed=seed)
        if self.instruction is None:  # the first reset, inside MiniWorldEnv.__init__
            return {"image": image, "mission": ""}, {}
        self.start_pos = self.agent.pos.copy()
        self.shortest_path_length = self._shortest_path_length()
        return self._obs(image), self._info()

    def _obs(self, image: np.ndarray) -> dict[str, Any]:
        obs = {"image": image, "mission": self.instruction.text}
        if self.proprioception:
            last = self.last_action
            obs["prev_action"] = len(self.action_names) if last is None else last
            obs["moved"] = int(self.moved)
        return obs

    # ----------------------------------------------------------------- planning support
    def obstacles(self, exclude: tuple[Entity, ...] = ()) -> list[tuple[float, float, float]]:
        """(x, z, radius) of every object but the carried one and ``exclude``."""
        carried = self.agent.carrying
        return [
            (float(e.pos[0]), float(e.pos[2]), float(e.radius))
            for e in self.objects
            if e is not carried and all(e is not x for x in exclude)
        ]

    def goal_field(
        self,
        goal: Entity,
        reach: float,
        exclude: tuple[Entity, ...] = (),
        obstacle_margin: float = 0.1,
        wall_margin: float = 0.15,
        resolution: float = 0.1,
    ) -> tuple[navigation.Grid, np.ndarray]:
        """Grid and distance field to the cells within ``reach`` of ``goal``'s centre (cached)."""
        key = (
            id(goal),
            obstacle_margin,
            wall_margin,
            resolution,
            round(reach, 3),
            tuple(id(e) for e in exclude),
            id(self.agent.carrying),
            tuple((round(float(e.pos[0]), 2), round(float(e.pos[2]), 2)) for e in self.objects),
        )
        if key not in self._fields:
            grid = navigation.build_grid(
                (self.min_x, self.max_x, self.min_z, self.max_z),
                self._room_rects(),
                self.wall_segs,
                self.obstacles(exclude),
                self.agent.radius,
                obstacle_margin=obstacle_margin,
                wall_margin=wall_margin,
                resolution=resolution,
            )
            goal_cells = navigation.disc_cells(grid, goal.pos[0], goal.pos[2], reach)
            self._fields[key] = (grid, navigation.distance_field(grid, goal_cells))
        return self._fields[key]

    def contact_reach(self, ent: Entity) -> float:
        """Centre distance at which the agent is in contact with ``ent``."""
        return self.agent.radius + ent.radius + CONTACT

    def _shortest_path_length(self) -> float:
        """Geodesic metres from the start pose to contact with the first target."""
        grid, dist = self.goal_field(
            self.target, self.contact_reach(self.target), resolution=SPL_RESOLUTION
        )
        return navigation.path_length_to(grid, dist, self.start_pos[0], self.start_pos[2])

    # ----------------------------------------------------------------- stepping
    def _on_bump(self, ent: Entity) -> str | None:
        """A forward move was blocked by ``ent``; return an outcome to end the episode."""
        self.reached = ent
        return "success" if ent is self.target else "wrong_object"

    def _on_pickup(self, ent: Entity) -> str | None:
        """The agent picked ``ent`` up; return an outcome to end the episode."""
        return None

    def _on_drop(self, ent: Entity) -> str | None:
        """The agent dropped ``ent``; return an outcome to end the episode."""
        return None

    def _pickup_candidate(self) -> Entity | None:
        """The object a pickup would take: nearest to the grasp point, walls ignored.

        MiniWorld defect worked around: its pickup uses ``intersect``, which reports a wall before
        any entity (so objects near walls cannot be picked) and the first entity in list order
        rather than the one in front.
        """
        grasp = self.agent.pos + self.agent.dir_vec * 1.5 * self.agent.radius
        best, best_d = None, math.inf
        for ent in self.objects:
            d = float(np.linalg.norm((ent.pos - grasp)[[0, 2]]))
            if d < 1.2 * self.agent.radius + ent.radius and d < best_d:
                best, best_d = ent, d
        return best

    def step(self, action: Any) -> tuple[dict[str, Any], float, bool, bool, dict[str, Any]]:
        """Apply one action; see the class docstring for commits and reward."""
        if not self.action_space.contains(action):
            raise ValueError(f"invalid action {action!r} for {self.task_id}: {self.action_names}")
        name = self.action_names[int(action)]
        self.step_count += 1
        pose = (self.agent.pos.copy(), float(self.agent.dir))
        rand = self.np_random if self.domain_rand else None
        outcome: str | None = None
        if name == "move_forward":
            fwd = self.params.sample(rand, "forward_step")
            drift = self.params.sample(rand, "forward_drift")
            before = self.agent.pos.copy()
            next_pos = self.agent.pos + self.agent.dir_vec * fwd + self.agent.right_vec * drift
            hit = self.intersect(self.agent, next_pos, self.agent.radius)
            if isinstance(hit, Entity) and hit is not self.agent.carrying:
                outcome = self._on_bump(hit)
            else:
                self.move_agent(fwd, drift)
            self.path_length += float(np.linalg.norm(self.agent.pos - before))
        elif name == "move_back":
            before = self.agent.pos.copy()
            self.move_agent(-self.params.sample(rand, "forward_step"), 0.0)
            self.path_length += float(np.linalg.norm(self.agent.pos - before))
        elif name in ("turn_left", "turn_right"):
            turn = self.params.sample(rand, "turn_step")
            self.turn_agent(turn if name == "turn_left" else -turn)
        elif name == "pickup":
            if not self.agent.carrying:
                ent = self._pickup_candidate()
                if ent is not None:
                    self.agent.carrying = ent
                    ent.pos = self._get_carry_pos(self.agent.pos, ent)
                    ent.dir = self.agent.dir
                    outcome = self._on_pickup(ent)
        elif name == "drop" and self.agent.carrying:
            ent = self.agent.carrying
            ent.pos[1] = 0.0
            self.agent.carrying = None
            outcome = self._on_drop(ent)
        # The bump sensor: the pose changed (a blocked move, pickup or drop leaves it as it was).
        self.moved = bool(np.any(self.agent.pos != pose[0]) or float(self.agent.dir) != pose[1])
        self.last_action = int(action)

        image = self.render_obs()
        reward = 0.0
        terminated = truncated = False
        if outcome is not None:
            self.outcome = outcome
            terminated = True
            if outcome == "success":
                reward = 1.0 - 0.9 * self.step_count / self.max_episode_steps
        elif self.step_count >= self.max_episode_steps:
            self.outcome = "timeout"
            truncated = True
        return self._obs(image), reward, terminated, truncated, self._info()

    # ----------------------------------------------------------------- info
    def _info(self) -> dict[str, Any]:
        """The step's info; exact labels read the frame just rendered (call after render_obs)."""
        target = self.target
        seen = id(target) in self.seen_ids
        priv, visible = labels.step_labels(self, target, self.label_mode, seen)
        if visible:
            self.seen_ids.add(id(target))
            seen = True
        if self.label_mode != "none":
            priv["target_seen"] = seen
        reached = self.reached
        return {
            "is_success": self.outcome == "success",
            "outcome": self.outcome,
            "task": self.task_id,
            "family": self.family,
            "split": self.split,
            "mission": self.instruction.text,
            "target_color": target.color,
            "target_shape": target.shape,
            "target_code": masks.object_code(target.color, target.shape),
            "targets": [(e.color, e.shape) for e in self.named],
            "stage": self.stage,
            "reached_color": None if reached is None else reached.color,
            "reached_shape": None if reached is None else reached.shape,
            "path_length": self.path_length,
            "shortest_path_length": self.shortest_path_length,
            "step": self.step_count,
            "agent_pos": (float(self.agent.pos[0]), float(self.agent.pos[2])),
            "agent_dir": float(self.agent.dir),
            "target_pos": (float(target.pos[0]), float(target.pos[2])),
            "moved": self.moved,
            "last_action": self.last_action,
            **priv,
        }

    # ----------------------------------------------------------------- rendering
    def _render_world(self, frame_buffer: Any, render_agent: bool) -> np.ndarray:
        """MiniWorld's renderer, with the objects in a display list (see ``rendering``)."""
        return render_world_cached(self, frame_buffer, render_agent)

    def render(self) -> np.ndarray | None:
        """``rgb_array``: a larger egocentric view; ``human``: MiniWorld's window."""
        if self.render_mode == "rgb_array":
            return self.render_obs(self.vis_fb)
        if self.render_mode == "human":
            return super().render()
        return None

    def top_view(self) -> tuple[np.ndarray, dict[str, float]]:
        """A top-down image of the whole floor plan and its world-to-pixel scale."""
        return self.render_top_view(self.vis_fb, render_agent=True, return_scale=True)


def _whole(name: str, value: object) -> int:
    """``value`` as an int when it is a whole number (2 or 2.0); ValueError otherwise (2.5 must
    not silently become 2)."""
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if not number or not math.isfinite(value) or value != int(value):  # type: ignore[arg-type]
        raise ValueError(f"{name} must be a whole number, got {value!r}")
    return int(value)
