"""PyTorch: a pair's PyTorch side (`pair`, `layers`, `blocks`), the trainer (`train`), the study's models
(`study`, `study_code`)."""
