"""zen_nb: the recipe kit for the Zen Mesh delivery-flow API, for Jupyter.

Importing the package stays light: the sandbox server (FastAPI), pandas, ipywidgets and
IPython are imported only by the modules that need them, when they are used.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
