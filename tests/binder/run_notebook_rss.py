"""Execute one notebook (small parameters), check its outputs and print its peak memory
as JSON.

Run by the Binder check with the Binder venv's python and ``PYTHONPATH=tests``:
``python run_notebook_rss.py NOTEBOOK WORKDIR``. The kernel is a child process that
nbclient shuts down and waits for, so ``RUSAGE_CHILDREN`` holds its peak RSS.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path

from helpers.notebooks import SMALL, check_outputs, execute_notebook


def main() -> None:
    path, workdir = Path(sys.argv[1]), Path(sys.argv[2])
    t0 = time.perf_counter()
    nb = execute_notebook(path, parameters=SMALL[path.name], cwd=workdir, timeout=600)
    check_outputs(path.name, nb, workdir)  # what tests/notebooks checks, here instead
    kernel_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    driver_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({
        "notebook": path.name,
        "kernel_peak_rss_mb": round(kernel_kb / 1024, 1),
        "driver_peak_rss_mb": round(driver_kb / 1024, 1),
        "seconds": round(time.perf_counter() - t0, 1),
    }))


if __name__ == "__main__":
    main()
