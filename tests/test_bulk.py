"""Renderers run with the network's objects out of the garbage collector's sight, and leave it as they found it."""

from __future__ import annotations

import gc

import pytest

import symcnn
from symcnn.exporters import EXPORTERS
from symcnn.exporters.bulk import renders_in_bulk


def test_a_renderer_freezes_what_exists_and_unfreezes_it_after():
    seen = []

    @renders_in_bulk
    def render(value):
        seen.append(gc.get_freeze_count())
        return value * 2

    assert gc.get_freeze_count() == 0
    assert render(21) == 42
    assert seen[0] > 0 and gc.get_freeze_count() == 0


def test_it_unfreezes_when_the_renderer_raises():
    @renders_in_bulk
    def render():
        raise ValueError("no")

    with pytest.raises(ValueError):
        render()
    assert gc.get_freeze_count() == 0


def test_garbage_made_while_rendering_is_still_collected():
    @renders_in_bulk
    def render():
        cycle = []
        cycle.append(cycle)
        del cycle
        return gc.collect()

    assert render() >= 1


def test_objects_someone_else_froze_stay_frozen():
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        EXPORTERS["json"](symcnn.loads("input 3, 8, 8\nconv 4, 3\n"))
        assert 0.9 * frozen < gc.get_freeze_count() <= frozen  # frozen objects may die, but none were unfrozen
    finally:
        gc.unfreeze()
