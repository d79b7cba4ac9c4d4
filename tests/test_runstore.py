from __future__ import annotations

from pathlib import Path

import pytest

from papercoder.errors import InputError
from papercoder.runstore import RunStore, StageState, append_jsonl, atomic_write_text, read_jsonl


def test_create_open_and_stage_states(tmp_path: Path) -> None:
    store = RunStore.create(tmp_path / "runs", "Attention Is All You Need!")
    assert store.root.name.startswith("attention-is-all-you-need-")
    store.set_stage("plan", StageState.DONE)
    again = RunStore.open(store.root)
    assert again.stage_done("plan") and not again.stage_done("code")


def test_open_rejects_a_plain_directory(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not a run directory"):
        RunStore.open(tmp_path)


def test_atomic_write_leaves_no_temporary_files(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b.txt"
    atomic_write_text(target, "one")
    atomic_write_text(target, "two")
    assert target.read_text("utf-8") == "two"
    assert [p.name for p in target.parent.iterdir()] == ["b.txt"]


def test_torn_jsonl_line_is_skipped(tmp_path: Path) -> None:
    log = tmp_path / "calls.jsonl"
    append_jsonl(log, {"n": 1})
    with log.open("a", encoding="utf-8") as handle:
        handle.write('{"n": 2, "trunc')
    assert read_jsonl(log) == [{"n": 1}]


def test_record_input_hashes_the_file(tmp_path: Path) -> None:
    paper = tmp_path / "p.txt"
    paper.write_text("abc", encoding="utf-8")
    store = RunStore.create(tmp_path / "runs", "p")
    store.record_input("paper", paper)
    digest = RunStore.open(store.root).manifest.inputs["paper"].sha256
    assert digest == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
