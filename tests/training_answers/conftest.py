"""The answer key is not collected as notebooks of its own: ``test_training_notebooks.py`` runs it.

It runs there as the exercise notebooks with the key's solutions written in (one pytest process
for all of them), which proves both at once; collected here too, each key would run twice.
"""

collect_ignore_glob = ["*.ipynb"]
