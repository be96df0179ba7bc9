"""Root conftest of this repository: its pytest fixtures (fixtures/) and its registered model pairs (models/).
Options, markers, skips, seeds and measurements come from the installed plugin, tfpt.pytest_plugin, which pytest
loads first (it also imports torch before TensorFlow: see that module for why)."""

pytest_plugins = ["fixtures.data"]
