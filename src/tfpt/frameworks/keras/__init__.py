"""Keras, on any backend (TensorFlow in the suite's process; torch or JAX in a worker): a pair's Keras side
(`pair`, `layers`, `nested`), the trainer (`train`), the study's models (`study`, `study_code`)."""
