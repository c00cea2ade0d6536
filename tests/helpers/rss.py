"""Peak resident memory of this process, for tests that bound it (run them in a subprocess).

``VmHWM`` from ``/proc/self/status`` where there is one: ``getrusage``'s ``ru_maxrss``
survives ``execve`` on Linux, so a child started from a large test process (subprocess uses
vfork) would report its parent's size. Elsewhere ``ru_maxrss`` (kilobytes on Linux, bytes on
macOS).
"""

from __future__ import annotations

import resource
import sys


def peak_rss() -> int:
    """Peak RSS in bytes."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024
