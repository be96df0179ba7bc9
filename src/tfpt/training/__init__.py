"""Training outside the frameworks' own code: the one-framework worker process, the epoch clock, data order, run
history, the NumPy reference and the trainer-conformance harness."""
