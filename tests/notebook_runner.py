"""Run a notebook top to bottom in a kernel on this interpreter, as nbval does: for refreshing and for the user's path.

nbval's ``--nbval-current-env`` kernel is this interpreter, whatever kernels are installed; the
same kernel here means a notebook behaves the same when refreshed, compared and walked in order.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient
from nbval.kernel import CURRENT_ENV_KERNEL_NAME, NbvalKernelspecManager


def run_notebook(path: Path, timeout: int = 120, env: dict[str, str] | None = None) -> nbformat.NotebookNode:
    """Execute ``path`` (in its own folder, with ``env`` as the kernel's environment when given); return it.

    A cell that raises, unless tagged ``raises-exception``, raises
    :class:`nbclient.exceptions.CellExecutionError` naming the cell.
    """
    notebook = nbformat.read(path, as_version=4)
    kernel = KernelManager(kernel_name=CURRENT_ENV_KERNEL_NAME, kernel_spec_manager=NbvalKernelspecManager())
    client = NotebookClient(
        notebook,
        km=kernel,
        timeout=timeout,
        resources={"metadata": {"path": str(path.parent)}},
        store_widget_state=False,
        record_timing=False,
    )
    try:
        client.execute(**({"env": env} if env is not None else {}))
    finally:
        # nbclient shuts down only the kernels of managers it made itself: this one is ours.
        if kernel.has_kernel:
            kernel.shutdown_kernel(now=True)
    return notebook
