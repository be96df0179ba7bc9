"""The study's CNN: one framework-neutral spec, its Keras and PyTorch builders, and the study's models as written."""
