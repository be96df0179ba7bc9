"""Training outside the frameworks' own code: the one-framework worker process, data order, run history, the NumPy reference and the trainer-conformance harness."""
