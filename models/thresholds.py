"""Accuracy thresholds for the training-conformance tests, each with the measurement behind it.
Full real data, the study's settings (batch 32, Adam defaults), the spec models, test accuracy on all 10,000
test images. Measured on this project's 2-core CPU machine, TF 2.21 / Keras 3.15.1 and torch 2.14.1, seeds 0-5
(tfpt.training.worker, native shuffling):

  MNIST after 1 epoch   TF    98.78 98.34 98.37 98.72 98.35 98.43  (seed 0..5)
                        torch 98.45 98.50 98.27 98.45 98.31 98.20  (seed 0..5)
  MNIST best of 3       TF    98.85 98.99 98.98 99.14 98.73        (seed 1..5)
                        torch 99.21 99.13 98.92 99.11 99.10        (seed 1..5)

Bounds of 98.5 % after 1 epoch and 99.0 % within 3 epochs would fail on most seeds: 10 of 12 one-epoch runs and
4 of 10 three-epoch runs fall short of them. The bounds below sit under every
measured run with a margin of about one to two standard deviations (sd 0.13-0.16 points after 1 epoch, 0.16-0.22
after 3).
"""

THRESHOLDS = {
    # (dataset, epochs): (minimum test accuracy, why)
    ("mnist", 1): (0.980, "lowest of 12 measured runs 98.20 %; 98.5 % failed 10 of 12"),
    ("mnist", 3): (0.985, "best epoch within 3: lowest of 10 measured runs 98.73 %; 99.0 % failed 4 of 10"),
    ("fashion", 1): (0.85, "under both measured 1-epoch runs: torch 86.1 %, TF 87.1 % (full data, study settings)"),
}


def threshold(dataset: str, epochs: int) -> float:
    return THRESHOLDS[(dataset, epochs)][0]
