"""PyTorch: a pair's PyTorch side (`pair`, `layers`, `blocks`), the trainer (`train`), the study's models (`cnn`,
`study_code`), the benchmark bodies (`bench`, `loops`, `order`, `cuda`), its exports (`export`, `formats`), loss,
gradients and steps (`steps`), its devices, defaults and weights file (`devices`, `defaults`, `weight_files`); its
record (`record`)."""
