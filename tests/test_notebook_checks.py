"""``notebook_checks``: a recipe is saved with ``language_info`` whole, as the kernel reports it.

JupyterLab writes the kernel's ``language_info`` into a notebook as it opens; a file saved with
less shows as modified before anything ran (``test_browser_save.py`` checks that in a real Lab).
"""

from __future__ import annotations

import nbformat

from notebook_checks import LANGUAGE_INFO_KEYS, clean_metadata, problems

# What ipykernel's kernel_info reply holds (its version is this interpreter's).
KERNEL_LANGUAGE_INFO = {
    "name": "python",
    "version": "3.11.7",
    "mimetype": "text/x-python",
    "codemirror_mode": {"name": "ipython", "version": 3},
    "pygments_lexer": "ipython3",
    "nbconvert_exporter": "python",
    "file_extension": ".py",
}


def executed_notebook(language_info: dict) -> nbformat.NotebookNode:
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
    notebook.metadata["language_info"] = dict(language_info)
    cell = nbformat.v4.new_code_cell("1 + 1", execution_count=1)
    cell.outputs = [nbformat.v4.new_output("execute_result", {"text/plain": "2"}, execution_count=1)]
    notebook.cells = [cell]
    return notebook


def test_clean_metadata_keeps_language_info_whole_and_drops_widget_state():
    notebook = executed_notebook(KERNEL_LANGUAGE_INFO)
    notebook.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}}}
    clean_metadata(notebook)
    assert notebook.metadata["language_info"] == KERNEL_LANGUAGE_INFO
    assert "widgets" not in notebook.metadata
    assert problems(notebook) == []


def test_a_notebook_with_language_info_cut_down_is_not_fit_to_save():
    notebook = executed_notebook({"name": "python"})
    (found,) = problems(notebook)
    assert found.startswith("metadata.language_info lacks version, mimetype, file_extension")
    assert set(LANGUAGE_INFO_KEYS) <= set(KERNEL_LANGUAGE_INFO)
