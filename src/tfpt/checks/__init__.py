"""Framework-neutral checks over a model pair: the machinery the generic tests call (pairs.py), Keras on its other
backends against Keras on TensorFlow and PyTorch (backends.py), the cross-backend layer sweep (layer_sweep.py), and
the audit of the frameworks' defaults (defaults.py)."""
