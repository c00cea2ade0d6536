"""External merge sort: sorted output, bounded runs, duplicates refused, temp dir always removed."""

from __future__ import annotations

import gc
import os
import random
import stat
from pathlib import Path

import pytest

from mbom.errors import InputError
from mbom.hashing._spill import SpillSorter


def _records(n: int, seed: int = 1) -> list[tuple]:
    rng = random.Random(seed)
    names = [f"d{rng.randrange(50)}/f{i}-é\u4e2d.bin" for i in range(n)]
    rng.shuffle(names)
    return [(name, len(name), ("ab" * 32,), None, 0o100644, None, (b"x" * 32,)) for name in names]


def test_spilled_sort_equals_sorted(tmp_path: Path) -> None:
    records = _records(3000)
    sorter = SpillSorter(run_bytes=20_000, record_cost=0, directory=str(tmp_path))
    with sorter:
        sorter.extend(records)
        assert len(list(tmp_path.iterdir())) == 1  # runs were spilled already
        drained = list(sorter.drain())
        result = sorter.result()
    assert drained == sorted(records)
    assert result.on_disk and len(result) == 3000
    assert list(result) == drained == list(result)  # re-iterable
    scratch = next(tmp_path.iterdir())
    assert stat.S_IMODE(scratch.stat().st_mode) == 0o700
    assert len(list(scratch.iterdir())) == 1  # runs removed, merged output kept
    result.close()
    assert list(tmp_path.iterdir()) == []


def test_small_input_stays_in_memory(tmp_path: Path) -> None:
    records = _records(50)
    with SpillSorter(directory=str(tmp_path)) as sorter:
        sorter.extend(records)
        assert list(sorter.drain()) == sorted(records)
    assert not sorter.result().on_disk
    assert list(sorter.result()) == sorted(records)
    assert list(tmp_path.iterdir()) == []


def test_non_overlapping_runs_are_concatenated(tmp_path: Path) -> None:
    records = sorted(_records(1000))
    with SpillSorter(run_bytes=5000, record_cost=0, directory=str(tmp_path)) as sorter:
        sorter.extend(reversed(records))  # runs in descending ranges: disjoint
        assert list(sorter.drain()) == records


@pytest.mark.parametrize("spilled", [False, True])
def test_duplicate_path_is_an_error(tmp_path: Path, spilled: bool) -> None:
    records = _records(500)
    records.append(records[17])
    sorter = SpillSorter(run_bytes=2000 if spilled else 10**9, directory=str(tmp_path))
    with pytest.raises(InputError, match="listed twice"), sorter:
        sorter.extend(records)
        list(sorter.drain())
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("error", [RuntimeError, KeyboardInterrupt])
def test_directory_removed_when_the_run_fails(tmp_path: Path, error: type) -> None:
    with pytest.raises(error), SpillSorter(run_bytes=1000, directory=str(tmp_path)) as sorter:
        sorter.extend(_records(200))
        assert list(tmp_path.iterdir())
        for index, _record in enumerate(sorter.drain()):
            if index == 50:
                raise error("stop")
    assert list(tmp_path.iterdir()) == []


def test_directory_removed_when_the_result_is_collected(tmp_path: Path) -> None:
    with SpillSorter(run_bytes=1000, directory=str(tmp_path)) as sorter:
        sorter.extend(_records(200))
        for _record in sorter.drain():
            pass
    result = sorter.result()
    del sorter
    gc.collect()
    assert list(tmp_path.iterdir())  # the result still reads its file
    assert len(list(result)) == 200
    del result
    gc.collect()
    assert list(tmp_path.iterdir()) == []


def test_undrained_sorter_removes_everything(tmp_path: Path) -> None:
    with SpillSorter(run_bytes=1000, directory=str(tmp_path)) as sorter:
        sorter.extend(_records(200))
    assert not os.listdir(tmp_path)


def test_blocks_in_order_are_kept_as_runs_without_a_merge(tmp_path: Path) -> None:
    records = sorted(_records(3000))
    with SpillSorter(run_bytes=20_000, record_cost=0, directory=str(tmp_path)) as sorter:
        for start in range(0, 3000, 250):
            sorter.add_block(records[start : start + 250])
        assert sorter.ordered
        result = sorter.sorted_result()
        scratch = next(tmp_path.iterdir())
        runs = len(list(scratch.iterdir()))
        assert list(sorter.drain()) == records
    assert runs > 1 and len(list(scratch.iterdir())) == runs  # nothing merged or rewritten
    assert result.on_disk and len(result) == 3000 and list(result) == records == list(result)
    result.close()
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("spilled", [False, True])
def test_a_block_out_of_order_falls_back_to_the_sort(tmp_path: Path, spilled: bool) -> None:
    records = sorted(_records(2000))
    blocks = [records[1000:1500], records[:1000], records[1500:]]  # the second one goes back
    with SpillSorter(run_bytes=20_000 if spilled else 10**9, directory=str(tmp_path)) as sorter:
        sorter.add_block(blocks[0])
        assert sorter.ordered
        for block in blocks[1:]:
            sorter.add_block(block)
        assert not sorter.ordered
        with pytest.raises(ValueError):
            sorter.sorted_result()
        assert list(sorter.drain()) == records


def test_a_repeated_path_across_blocks_is_still_refused(tmp_path: Path) -> None:
    records = sorted(_records(100))
    with pytest.raises(InputError, match="listed twice"), SpillSorter() as sorter:
        sorter.add_block(records[:50])
        sorter.add_block(records[49:])
        list(sorter.drain())
