"""Dense per-cell labels from semantic maps."""

from __future__ import annotations

import numpy as np

from agent.data.cells import cell_codes


def test_each_cell_takes_the_code_filling_it_most() -> None:
    sem = np.zeros((1, 8, 8), dtype=np.uint8)  # stride 4, cells centred at pixels 0 and 4
    sem[0, 2:6, 2:6] = 5  # the window of cell (1, 1) is pixels 2..5
    sem[0, 5, 4:6] = 8  # two pixels of 8 there: 5 still fills it most
    sem[0, 0:2, 0:2] = 9  # cell (0, 0) sees pixels 0..1 (its window starts at -2)
    sem[0, 0, 2] = 7  # one pixel in cell (0, 1)'s window (rows -2..1, columns 2..5)
    out = cell_codes(sem, (2, 2), 4)
    assert out.shape == (1, 2, 2) and out.dtype == np.uint8
    assert out[0, 1, 1] == 5
    assert out[0, 0, 0] == 9
    assert out[0, 0, 1] == 7  # any object pixel beats "no object"
    assert out[0, 1, 0] == 0  # rows 2..5, columns -2..1: empty


def test_empty_cells_are_zero_and_chunks_agree() -> None:
    rng = np.random.default_rng(0)
    sem = np.zeros((9, 60, 80), dtype=np.uint8)
    sem[:, 20:30, 40:44] = rng.integers(1, 19, size=(9, 1, 1))
    whole = cell_codes(sem, (15, 20), 4)
    chunked = cell_codes(sem, (15, 20), 4, chunk=2)
    np.testing.assert_array_equal(whole, chunked)
    assert (whole[:, :4] == 0).all()
    assert (whole[:, 6, 10] == sem[:, 25, 41]).all()
