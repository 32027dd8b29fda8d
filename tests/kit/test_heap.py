"""``kit.heap.reuse_freed_memory``: inside the block a freed large array's memory serves the next
one without page faults; outside it, the C library's and NumPy's settings are as before."""

from __future__ import annotations

import resource

import numpy as np
import pytest

from lingqu.kit import heap

glibc = pytest.mark.skipif(heap._glibc() is None, reason="glibc's malloc only")
N = 8 * 1024 * 1024  # 64 MiB of float64: above glibc's largest mmap threshold (32 MiB)


def _faults_of_fresh_array() -> int:
    """Minor page faults while a fresh 64 MiB array is made and written (after one was freed)."""
    a = np.empty(N)
    a.fill(1.0)
    del a
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    b = np.empty(N)
    b.fill(2.0)
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before
    del b
    return faults


@glibc
def test_freed_memory_is_reused_inside_the_block_only():
    # outside the block (NumPy's huge pages off, so that each 4 KiB page is one fault): the freed
    # array went back to the kernel, and the new one faults its pages in again
    old = heap._numpy_hugepages(False)
    try:
        outside = _faults_of_fresh_array()
    finally:
        heap._numpy_hugepages(bool(old))
    with heap.reuse_freed_memory() as switched:
        assert switched is True
        inside = _faults_of_fresh_array()
    assert outside > N * 8 // 4096 // 2  # about 16,384 pages
    assert inside < 100


@glibc
def test_settings_are_restored_and_errors_pass_through():
    before = heap._numpy_hugepages(True)
    try:
        with pytest.raises(ZeroDivisionError), heap.reuse_freed_memory():
            assert heap._numpy_hugepages(False) is False  # switched off inside (reading sets it again)
            raise ZeroDivisionError
        assert heap._numpy_hugepages(True) is True  # back on after the block, even on an error
    finally:
        heap._numpy_hugepages(bool(before))


def test_elsewhere_than_glibc_nothing_changes(monkeypatch):
    monkeypatch.setattr(heap, "_glibc", lambda: None)
    with heap.reuse_freed_memory() as switched:
        assert switched is False

