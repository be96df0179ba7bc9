"""Keras' bare training loop: the study's settings and nothing else (one plain model.fit, no progress lines, no
recording), the baseline the overhead script (tfpt.cli.overhead) measures the suite's own epoch against."""
from __future__ import annotations

import time

import numpy as np

from tfpt.settings import STUDY


def bare(ds, seed):
    from tfpt.frameworks.keras.cnn import build, keras
    from tfpt.frameworks.keras.train import make_loss, make_optimizer
    keras.utils.set_random_seed(seed)
    model = build()
    model.compile(optimizer=make_optimizer(STUDY), loss=make_loss(STUDY, "logits"), metrics=["accuracy"])
    x, y = STUDY.scale_inputs(ds.x_train), ds.y_train.astype(np.int32)
    t0 = time.perf_counter()
    model.fit(x, y, batch_size=STUDY.batch_size, epochs=1, shuffle=True, verbose=0)
    return time.perf_counter() - t0
