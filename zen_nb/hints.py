"""What the kit tells a user to type or paste, in one place, so that each runs exactly as printed.

Fixes, error messages, forms and commands quote these in backticks; ``tests/test_printed_code.py``
collects every backticked span the kit prints and runs it (Python in a fresh interpreter or an
IPython shell, shell commands as a terminal would), so a hint cannot drift from the API it names.
"""

from __future__ import annotations

SANDBOX_COMMAND = "zen-nb sandbox"
LAB_COMMAND = "zen-nb lab"
INSTALL_SANDBOX = "pip install 'zen_nb[sandbox]'"
INSTALL_LAB = "pip install 'zen_nb[lab]'"
INSTALL_ANALYSIS = "pip install 'zen_nb[analysis]'"
# In Python (a notebook or a script): a sandbox in this process, and the five ZEN_* variables for it.
START_SANDBOX_PYTHON = "import os, zen_nb; os.environ.update(zen_nb.sandbox.start().env())"
NEW_CLIENT = "client = zen_nb.ZenClient()"
# In a notebook: the form that takes the token into the kernel without it being written into a cell
# (a cell's code stays in IPython's history database and in the saved notebook).
SETUP_FORM = "import zen_nb; zen_nb.setup()"
# In IPython after %load_ext zen_nb: find a running sandbox or start one, and set ZEN_* for it.
SANDBOX_MAGIC = "%zen_sandbox start"


def code(text: str) -> str:
    """``text`` marked as code to type or paste (backticks, as in Markdown)."""
    return f"`{text}`"
