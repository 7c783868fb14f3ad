"""How episodes ended: the terminal and HTML tables, and rows under domain randomisation."""

from __future__ import annotations

from agent.eval.failure_table import failure_columns, failures_html, format_failures
from agent.eval.html_report import render_html
from agent.eval.metrics import aggregate
from agent.eval.report import _episode_rows, _row, format_table, split_label


def record(seed: int, outcome: str, blocked: int | None = 0, seen: bool | None = True) -> dict:
    return {
        "episode": seed, "seed": seed, "split": "train", "mission": "go to the red box",
        "target": ["red", "box"], "outcome": outcome, "is_success": outcome == "success",
        "steps": 200 if outcome == "timeout" else 20, "return": 0.0, "path_length": 3.0,
        "shortest_path_length": 2.5, "reached": ["blue", "key"] if outcome == "wrong_object"
        else None, "blocked_run": blocked, "target_seen": seen,
    }  # fmt: skip


def result(label: str, records: list[dict], control: bool = False, dr: bool = False) -> dict:
    return {
        "policy": "ckpt", "label": label, "split": "train", "control": control, "domain_rand": dr,
        "aggregated": aggregate(records), "per_episode": records,
    }  # fmt: skip


AGENT = [record(0, "success"), record(1, "timeout", 50), record(2, "timeout", 49),
         record(3, "wrong_object", seen=True), record(4, "wrong_object", seen=False)]  # fmt: skip
CONTROL = [record(0, "wrong_object", seen=True)] * 3 + [record(3, "timeout", 80)] * 2
RESULTS = [
    result("agent", AGENT),
    result("agent", AGENT[:2], dr=True),
    result("agent [control]", CONTROL, control=True),
    result("agent [control]", CONTROL[:2], control=True, dr=True),
]


def test_terminal_table_counts_every_kind() -> None:
    text = format_failures(RESULTS)
    lines = text.splitlines()
    assert lines[0] == "how episodes ended"
    header = lines[1].split()
    assert header[:3] == ["policy", "split", "n"]
    for title in ("success", "stuck", "other timeout", "wrong, seen", "wrong, unseen"):
        assert title in lines[1]
    assert "(?)" not in lines[1]  # no unknown kinds here: no column for them
    agent = next(line for line in lines if line.startswith("agent ") and "train " in line)
    # success 1, stuck 1 (a run of 50), other 1 (a run of 49), wrong seen 1, wrong unseen 1
    assert agent.split()[2:] == ["5"] + ["1", "(20.0%)"] * 5
    assert "agent [control]  train [domain_rand]" in text
    assert "stuck = a timeout ending in >= 50 blocked moves" in text


def test_unknown_kinds_get_a_column_only_when_present() -> None:
    old = [result("expert", [record(0, "timeout", None), record(1, "wrong_object", seen=None)])]
    assert failure_columns(old) == [
        "success", "timeout_stuck", "timeout_other", "timeout_unknown", "wrong_object_seen",
        "wrong_object_unseen", "wrong_object_unknown",
    ]  # fmt: skip
    assert "timeout (?)" in format_failures(old) and "wrong (?)" in format_failures(old)


def test_domain_rand_rows_are_labelled_everywhere() -> None:
    assert [split_label(r) for r in RESULTS] == ["train", "train [domain_rand]"] * 2
    table = format_table(RESULTS)
    assert "train [domain_rand]" in table and "[domain_rand]: the same seeds" in table
    row = _row(RESULTS[1])
    assert row["domain_rand"] is True and row["timeout_stuck"] == 1 and row["split"] == "train"
    episodes = _episode_rows(RESULTS[:1])
    assert episodes[1]["failure"] == "timeout_stuck" and episodes[1]["blocked_run"] == 50


def test_html_has_one_failure_table_per_split_with_the_control() -> None:
    part = failures_html(RESULTS)
    assert part.count("<table class=failures>") == 2
    plain, rand = part.split("<b>train [domain_rand]</b>")
    assert "<td class=l>agent</td>" in plain and "<td class=l>agent [control]</td>" in plain
    assert "<td>3 (60.0%)</td>" in plain  # the control's wrong objects after seeing the target
    assert "<td class=l>agent [control]</td>" in rand
    info = {"task": "MiniGround/GoToObject-v1", "episodes": 5, "seed": 0, "command": "c",
            "created": "now", "results": RESULTS}  # fmt: skip
    page = render_html(info)
    assert "<h2>How episodes ended</h2>" in page and "<table class=failures>" in page
    assert "train [domain_rand]" in page and "domain randomisation (lighting" in page
    # the control table pairs each row with its own control, plain with plain
    assert page.count("points the instruction buys") == 1
    control = page.split("points the instruction buys")[1].split("</table>")[0]
    assert control.count("<tr>") == 2 and "train [domain_rand]" in control
    assert "<b>+20.0</b>" in control  # plain: 20% against 0%
