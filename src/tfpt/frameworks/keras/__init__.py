"""Keras, on any backend (TensorFlow in the suite's process; torch or JAX in a worker): a pair's Keras side
(`pair`, `layers`, `nested`), the trainer (`train`), the study's models (`cnn`, `study_code`), the benchmark bodies
(`bench`, `loops`, `order`, `cuda`), its exports (`export`, `formats`), loss, gradients and steps (`steps`), its
devices, defaults and weights file (`devices`, `defaults`, `weight_files`); its records (`record`)."""
