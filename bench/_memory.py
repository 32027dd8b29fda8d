"""Peak resident memory of this process, for the benchmarks that run each contender in a child.

``getrusage(RUSAGE_SELF).ru_maxrss`` is not this: Linux carries it across ``execve``, and
``subprocess`` starts children with ``vfork``, so a child reports its parent's peak whenever that
is the larger. ``VmHWM`` in ``/proc/self/status`` belongs to the address space the process runs in.
"""

from __future__ import annotations

from pathlib import Path


def peak_rss_mib() -> float:
    """This process's own resident high-water mark, in MiB (Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status")
