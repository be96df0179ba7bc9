"""Keras on torch's CUDA (KERAS_BACKEND=torch, its own process): the bodies the CUDA comparison times
(tfpt.frameworks.torch.cuda.measure), as a user calls them."""
from __future__ import annotations

import numpy as np

from tfpt import frameworks
from tfpt.bench import workloads
from tfpt.settings import STUDY
from tfpt.spec import CNN


def body(quantity: str, ds, device: str, seed: int, batch: int):
    """Keras on torch, as a user calls it: train_on_batch (which returns the loss as numpy: a device sync) and the
    model's plain call, on inputs already on the device ("gpu" or "cpu")."""
    torch = frameworks.import_torch()
    from tfpt.frameworks.keras import cnn as study_keras
    from tfpt.frameworks.keras.train import compile_study_settings
    keras = study_keras.keras
    place = "cuda" if device == "gpu" else "cpu"
    with keras.device(place):
        model = study_keras.build(CNN, seed=seed)
        if quantity == "step":
            model = compile_study_settings(model, settings=STUDY)
            x = keras.ops.convert_to_tensor(STUDY.scale_inputs(ds.x_train[:batch]))
            y = keras.ops.convert_to_tensor(ds.y_train[:batch].astype(np.int32))

            def step():
                with keras.device(place):
                    return model.train_on_batch(x, y)
            return step
        x = keras.ops.convert_to_tensor(workloads.test_batch(ds.x_test, batch))

    def infer():
        with keras.device(place), torch.inference_mode():
            return model(x, training=False)
    return infer
