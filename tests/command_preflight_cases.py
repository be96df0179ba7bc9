"""The bad-input table of the newer commands (tests/test_command_preflight.py): tfpt-ab, tfpt-bench, `python -m
tfpt.cli.backends`, tfpt-compare's --mode study-code, and a framework hidden by TFPT_HIDE_FRAMEWORKS in
tfpt-compare and tfpt-convert. Rows as in tests/bad_input_cases.py (the same `Case`, run alone in a fresh process
and folder): the exit code, the one stderr line `error: <thing>: <expected>; fix: <fix>`, nothing left behind.

Every mistake must be found before any work: ab's and bench's rows never start a benchmark process (each side is
checked with `python -c` and `pytest --collect-only`), backends' rows never start a worker.
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

from tests.bad_input_cases import Case, Ctx, bad_wheel, data_env
from tfpt.cli.exitcodes import BAD_INPUT, USAGE

AB, BENCH, BACKENDS, COMPARE, CONVERT = ("tfpt.cli.ab", "tfpt.cli.bench", "tfpt.cli.backends", "tfpt.cli.compare",
                                         "tfpt.cli.convert")
REPO = Path(__file__).resolve().parent.parent
PY = sys.executable  # a side with tfpt, pytest and pytest-benchmark: this venv's Python

SLEEPER = "import time\n\n\ndef test_sleepy(benchmark):\n    benchmark(time.sleep, 0.001)\n"


def sleeper(c: Ctx) -> None:
    """One benchmark in the row's folder (its tests never run: every row fails first)."""
    (c.tmp / "test_sleeper.py").write_text(SLEEPER)


def ab(c: Ctx, *rest, a: str = PY, b: str = PY, tests: tuple = ("test_sleeper.py",)) -> list:
    return ["--a", a, "--b", b, "-k", "sleepy", "--tests", *tests, *rest]


def bench(c: Ctx, *rest, tests: tuple = ("test_sleeper.py",)) -> list:
    return ["--processes", "1", "-k", "sleepy", "--tests", *tests, *rest]


def bare_venv(c: Ctx) -> None:
    """A venv of this Python without tfpt or pytest (no pip either: made in a second)."""
    import venv
    sleeper(c)
    venv.EnvBuilder(with_pip=False, system_site_packages=False).create(c.tmp / "bare")


def _file(c: Ctx) -> None:
    sleeper(c)
    (c.tmp / "afile").write_text("x")


SIDE_FIX = r"; fix: pass a tox env, a venv or a checkout whose Python has them"
CASES: list[Case] = [
    # ---- tfpt-ab: each side checked before the first process
    Case("ab-side-is-bin-true", AB, lambda c: ab(c, a="/bin/true"), BAD_INPUT,
         r"error: --a /bin/true: a Python with tfpt, pytest and pytest-benchmark importable; /bin/true said: "
         r"nothing: it exited 0 without running the check" + SIDE_FIX, setup=sleeper),
    Case("ab-side-venv-without-tfpt", AB, lambda c: ab(c, b=str(c.tmp / "bare")), BAD_INPUT,
         r"error: --b .*/bare: a Python with tfpt, .*said: ModuleNotFoundError: No module named '(tfpt|pytest)'"
         + SIDE_FIX, setup=bare_venv),
    Case("ab-side-missing", AB, lambda c: ab(c, a=str(c.tmp / "nowhere")), BAD_INPUT,
         r"error: --a .*/nowhere: a tox env or venv folder \(with bin/python\), a checkout holding \.venv, or a "
         r"Python interpreter; fix:", setup=sleeper),
    Case("ab-k-selects-nothing", AB, lambda c: ab(c)[:4] + ["-k", "no_such_benchmark", "--tests", "test_sleeper.py"],
         USAGE, r"error: -k 'no_such_benchmark': an expression selecting at least one benchmark; pytest collected "
         r"none with --a .*; fix: list them with `pytest test_sleeper.py --collect-only -q`", setup=sleeper),
    Case("ab-tests-missing", AB, lambda c: ab(c, tests=("no_such_test.py",)), BAD_INPUT,
         r"error: --tests no_such_test\.py: an existing test path in .*, where --a .* runs pytest; fix: run from "
         r"the checkout", setup=sleeper),
    Case("ab-outside-the-checkout", AB, lambda c: ["--a", PY, "--b", PY], BAD_INPUT,
         r"error: --tests benchmarks: an existing test path in .*; fix: run from the checkout that holds it"),
    Case("ab-pytest-args-unknown-flag", AB, lambda c: ab(c, "--pytest-args", "--no-such-flag"), USAGE,
         r"error: --pytest-args --no-such-flag: a command line pytest accepts; .*unrecognized arguments: "
         r"--no-such-flag; fix:", setup=sleeper),
    Case("ab-json-folder-missing", AB, lambda c: ab(c, "--json", str(c.tmp / "no" / "ab.json")), BAD_INPUT,
         r"error: --json .*/no/ab\.json: a file in an existing folder; .*/no does not exist; fix: mkdir -p",
         setup=sleeper, absent=lambda c: [c.tmp / "no"]),
    Case("ab-json-unwritable", AB, lambda c: ab(c, "--json", "/sys/kernel/tfpt-ab.json"), BAD_INPUT,
         r"error: --json /sys/kernel/tfpt-ab\.json: a file in a folder this user can write", setup=sleeper,
         needs=("sys-readonly",)),
    # ---- tfpt-ab --target / --budget / spread controls: refused by the parser, before either side is probed
    *[Case(f"ab-target-{tid}", AB, lambda c, v=value: ab(c, f"--target={v}"), USAGE,
           rf"error: argument --target: expected a slowdown {what}.*, got '{re.escape(value)}'; fix: see `tfpt-ab")
      for tid, value, what in (("zero", "0", "above 0"), ("150-percent", "150%", "above 0"),
                               ("abc", "abc", "such as 5% or 0.05"), ("bare-5", "5", "above 0"),
                               ("negative", "-5%", "above 0"), ("nan", "nan", "above 0"))],
    Case("ab-target-not-above-min-effect", AB, lambda c: ab(c, "--target", "2%", "--min-effect", "0.02"), USAGE,
         r"error: --target 2\.0 %: a slowdown above --min-effect 0\.02 .*; fix: pass a larger --target or a smaller "
         r"--min-effect"),
    *[Case(f"ab-budget-{tid}", AB, lambda c, v=value: ab(c, "--target", "5%", f"--budget={v}"), USAGE,
           rf"error: argument --budget: expected a duration (above 0 )?such as 10m.*, got '{re.escape(value)}'; fix:")
      for tid, value in (("negative", "-1"), ("zero-minutes", "0m"), ("abc", "abc"), ("inf", "inf"))],
    Case("ab-threads-negative", AB, lambda c: ab(c, "--threads=-1"), USAGE,
         r"error: argument --threads: expected a whole number >= 0, got -1; fix:"),
    # ---- tfpt-bench: the storage it saves into and its one side, before the first process
    Case("bench-k-selects-nothing", BENCH, lambda c: bench(c)[:2] + ["-k", "nothing_here", "--tests",
                                                                     "test_sleeper.py"], USAGE,
         r"error: -k 'nothing_here': an expression selecting at least one benchmark; pytest collected none",
         setup=sleeper),
    Case("bench-tests-missing", BENCH, lambda c: bench(c, tests=("gone.py",)), BAD_INPUT,
         r"error: --tests gone\.py: an existing test path in ", setup=sleeper),
    Case("bench-outside-the-checkout", BENCH, lambda c: ["--processes", "1"], BAD_INPUT,
         r"error: --tests benchmarks: an existing test path in "),
    Case("bench-pytest-args-unknown-flag", BENCH, lambda c: bench(c, "--pytest-args", "--no-such-flag"), USAGE,
         r"error: --pytest-args --no-such-flag: a command line pytest accepts; .*unrecognized arguments",
         setup=sleeper),
    Case("bench-storage-unwritable", BENCH, lambda c: bench(c, "--storage", "/sys/kernel/tfpt-storage"), BAD_INPUT,
         r"error: --storage /sys/kernel/tfpt-storage: a folder this user can write; /sys/kernel: ", setup=sleeper,
         needs=("sys-readonly",)),
    Case("bench-storage-below-a-file", BENCH, lambda c: bench(c, "--storage", str(c.tmp / "afile" / "runs")),
         BAD_INPUT, r"error: --storage .*/afile/runs: a folder that can be created; .*/afile is a file; fix:",
         setup=_file),
    Case("bench-storage-is-a-file", BENCH, lambda c: bench(c, "--storage", str(c.tmp / "afile")), BAD_INPUT,
         r"error: --storage .*/afile: a folder \(pytest-benchmark's storage\), got a file", setup=_file),
    # ---- python -m tfpt.cli.backends: names and data before any worker
    Case("backends-frameworks-empty", BACKENDS, lambda c: ["--frameworks", ""], USAGE,
         r"error: argument --frameworks: expected at least one of keras-torch, keras-jax; got nothing"),
    Case("backends-frameworks-twice", BACKENDS, lambda c: ["--frameworks", "keras-torch,keras-torch"], USAGE,
         r"error: argument --frameworks: expected each framework once, got keras-torch twice"),
    Case("backends-pair-only-a-comma", BACKENDS, lambda c: ["--frameworks", "keras-torch", "--pair", ","], USAGE,
         r"error: --pair ',': model pairs \(registered names or MODULE:ATTR\), comma separated, none empty; fix:",
         needs=("torch",)),
    Case("backends-pair-twice", BACKENDS, lambda c: ["--frameworks", "keras-torch", "--pair", "spec,spec"], USAGE,
         r"error: --pair 'spec,spec': each pair once, got spec twice; fix: name spec once", needs=("torch",)),
    Case("backends-pair-unknown", BACKENDS, lambda c: ["--frameworks", "keras-torch", "--pair", "resnet"], USAGE,
         r"error: --pair resnet: a registered name \(.*spec.*\) or MODULE:ATTR of a tfpt.ModelPair; fix: e.g. "
         r"--pair spec or --pair my_pair:pair", needs=("torch",),
         env={"PYTHONPATH": str(REPO)}),
    Case("backends-no-mnist", BACKENDS, lambda c: ["--frameworks", "keras-torch", "--pair", "spec"], BAD_INPUT,
         r"error: pair spec's input: its sample data; .*no source of mnist found.*; fix: run `make data`",
         setup=bad_wheel, env=lambda c: data_env(c, PYTHONPATH=str(REPO)), needs=("torch",),
         absent=lambda c: [c.tmp / "cache" / "MNIST"]),
    # ---- tfpt-compare --mode study-code: an option that mode ignores is refused, as --pair is
    *[Case(f"compare-study-code-with-{opt[2:]}", COMPARE, lambda c, o=opt, v=value: ["--mode", "study-code", o, v],
           USAGE, rf"error: {opt} with --mode study-code: an option that mode uses; .*so {opt} would change nothing; "
           rf"fix: leave {opt} out, or use another --mode")
      for opt, value in (("--order", "shared"), ("--eval-every", "100"), ("--eval-batch", "32"),
                         ("--target", "0.5"))],
    Case("compare-study-code-with-order-equals-form", COMPARE, lambda c: ["--mode", "study-code", "--order=native"],
         USAGE, r"error: --order with --mode study-code"),
    # ---- tfpt-compare --pair naming a model pair (tfpt.cli.pair_compare): every mistake before the first worker
    Case("compare-model-pair-unknown-name", COMPARE, lambda c: ["--pair", "resnet"], USAGE,
         r"error: --pair resnet: a registered name \(.*mobilenet-v2.*resnet50.*spec.*study.*transformer-block.*\) or "
         r"MODULE:ATTR of a tfpt.ModelPair; fix: e.g. --pair spec or --pair my_pair:pair",
         env={"PYTHONPATH": str(REPO)}),
    Case("compare-model-pair-module-missing", COMPARE, lambda c: ["--pair", "no_such_module:pair"], USAGE,
         r"error: --pair no_such_module:pair: an importable module 'no_such_module'; it is not found; fix: run from "
         r"the folder that holds it"),
    Case("compare-model-pair-module-raises", COMPARE, lambda c: ["--pair", "broken:pair"], USAGE,
         r"error: --pair broken:pair: importing 'broken' failed at \S*broken\.py:1: RuntimeError: boom; fix: "
         r"correct the module", setup=lambda c: (c.tmp / "broken.py").write_text("raise RuntimeError('boom')\n"),
         env={"PYTHONDONTWRITEBYTECODE": "1"}),
    Case("compare-model-pair-not-a-pair", COMPARE, lambda c: ["--pair", "notpair:pair"], USAGE,
         r"error: --pair notpair:pair: expected a tfpt.ModelPair named 'pair' in notpair, found int; fix: define "
         r"pair = ModelPair", setup=lambda c: (c.tmp / "notpair.py").write_text("pair = 3\n"),
         env={"PYTHONDONTWRITEBYTECODE": "1"}),
    *[Case(f"compare-model-pair-with-{opt[2:]}", COMPARE, lambda c, o=opt, v=value: ["--pair", "resnet50", o, v],
           USAGE, rf"error: {opt} with --pair resnet50: an option the model-pair comparison uses; .*so {opt} would "
           rf"change nothing; fix: leave {opt} out$", env={"PYTHONPATH": str(REPO)})
      for opt, value in (("--mode", "study-code"), ("--epochs", "2"), ("--order", "shared"), ("--target", "0.5"),
                         ("--eval-every", "100"), ("--eval-batch", "32"))],
    Case("compare-model-pair-with-spec", COMPARE, lambda c: ["--pair", "spec,resnet50"], USAGE,
         r"error: --pair spec,resnet50: either spec/study or other model pairs, not both",
         env={"PYTHONPATH": str(REPO)}),
    Case("compare-steps-without-model-pair", COMPARE, lambda c: ["--steps", "5"], USAGE,
         r"error: --steps: --pair naming a model pair other than spec and study \(those train epochs, not steps\); "
         r"fix:"),
    Case("compare-model-pair-framework-hidden", COMPARE, lambda c: ["--pair", "resnet50", "--frameworks", "torch"],
         USAGE, r"error: --frameworks torch: .*hidden by TFPT_HIDE_FRAMEWORKS='torch'.*; fix: unset "
         r"TFPT_HIDE_FRAMEWORKS$", env={"TFPT_HIDE_FRAMEWORKS": "torch", "PYTHONPATH": str(REPO)}),
    Case("compare-model-pair-needs-both-for-weights", COMPARE,
         lambda c: ["--pair", "resnet50", "--frameworks", "torch"], USAGE,
         r"error: --pair with a model pair: TensorFlow and PyTorch both installed: the weights are made in Keras.*"
         r"; fix: unset TFPT_HIDE_FRAMEWORKS$", env={"TFPT_HIDE_FRAMEWORKS": "tf", "PYTHONPATH": str(REPO)}),
    # ---- a framework hidden by TFPT_HIDE_FRAMEWORKS: the fix is to unset it, never to install what is there
    Case("compare-torch-hidden-fix-is-unset", COMPARE, lambda c: ["--frameworks", "torch"], USAGE,
         r"error: --frameworks torch: .*hidden by TFPT_HIDE_FRAMEWORKS='torch'.*; fix: unset TFPT_HIDE_FRAMEWORKS$",
         env={"TFPT_HIDE_FRAMEWORKS": "torch"}),
    Case("convert-torch-hidden-fix-is-unset", CONVERT,
         lambda c: ["--pair", "my_pair:pair", str(c.tmp / "model.pt"), str(c.tmp / "model.weights.h5")], USAGE,
         r"error: --pair my_pair:pair: importing 'my_pair' failed at \S*my_pair\.py:1: ModuleNotFoundError: torch "
         r"is hidden by TFPT_HIDE_FRAMEWORKS='torch'; fix: unset TFPT_HIDE_FRAMEWORKS \(it hides torch\)$",
         setup=lambda c: ((c.tmp / "my_pair.py").write_text("import torch\n"),
                          (c.tmp / "model.pt").write_bytes(b"not read: the pair fails first")),
         env={"TFPT_HIDE_FRAMEWORKS": "torch", "PYTHONDONTWRITEBYTECODE": "1"},  # no __pycache__ of my_pair
         absent=lambda c: [c.tmp / "model.weights.h5"]),
]
