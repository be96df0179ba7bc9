"""Options that change a measured figure reach the code they name, in both frameworks: the batch each
framework's evaluation actually runs is --eval-batch's, and --mode's tuned feeding is what the trained model sees
(Keras compiled with 50 steps per execution; PyTorch fed channels-last tensors). Seen from inside the models, on
the tiny synthetic set (512 training, 256 test images)."""
import pytest

from tfpt.data import datasets


def keras_calls(state) -> list:
    """(batch, training) of every eager call of the Keras model from now on."""
    seen, call = [], state.model.call

    def spy(x, *args, **kwargs):
        seen.append((int(x.shape[0]), bool(kwargs.get("training"))))
        return call(x, *args, **kwargs)
    state.model.call = spy
    return seen


def torch_calls(state) -> list:
    """(batch, training, channels-last input) of every forward of the PyTorch model's last convolution from now
    on (its input has 32 channels: with one channel, as the model's own input, both layouts look contiguous)."""
    import torch
    seen = []
    conv = [m for m in state.model.modules() if isinstance(m, torch.nn.Conv2d)][-1]
    conv.register_forward_pre_hook(lambda m, args: seen.append(
        (args[0].shape[0], m.training, args[0].is_contiguous(memory_format=torch.channels_last)
         and not args[0].is_contiguous())))
    return seen


def prepared(fw: str, **kwargs):
    from tfpt.frameworks import get
    t = get(fw).module("trainer")
    return t, t.prepare(datasets.synthetic(), epochs=1, progress=False, **kwargs)


@pytest.mark.tf
def test_eval_batch_reaches_keras_evaluation():
    t, state = prepared("tf", eval_batch=77)
    seen = keras_calls(state)
    t.epoch(state)
    assert [b for b, training in seen if not training] == [77, 77, 77, 25]


@pytest.mark.torch
def test_eval_batch_reaches_torch_evaluation():
    t, state = prepared("torch", eval_batch=77)
    seen = torch_calls(state)
    t.epoch(state)
    assert [b for b, training, _ in seen if not training] == [77, 77, 77, 25]
    assert {b for b, training, _ in seen if training} == {32}  # the study's batch in training


@pytest.mark.tf
@pytest.mark.parametrize("mode, per_execution", [("as-written", 1), ("tuned", 50)])
def test_mode_reaches_keras_fit(mode, per_execution):
    _, state = prepared("tf", mode=mode)
    assert state.model.steps_per_execution == per_execution


@pytest.mark.torch
@pytest.mark.parametrize("mode, channels_last", [("as-written", False), ("tuned", True)])
def test_mode_reaches_torch_training_inputs(mode, channels_last):
    t, state = prepared("torch", mode=mode, evaluate_epochs=False)
    seen = torch_calls(state)
    t.epoch(state)
    assert {cl for _, training, cl in seen if training} == {channels_last}
