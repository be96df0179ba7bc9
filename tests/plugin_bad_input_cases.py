"""The table of bad inputs to the pytest plugin, for tests/test_bad_plugin_inputs.py: a `--pair` module that
cannot be imported (for any reason) or does not hold a pair, and plugin options and environment variables that
hold values the plugin cannot use.

Each row says which pair module to write (if any), the pytest arguments and environment, the exit code (pytest's
4, a usage error, unless the row says otherwise) and a regex the one error line must match. Every row runs a
whole pytest session in a fresh subprocess and folder; none of them reaches a test.
"""
from __future__ import annotations

from dataclasses import dataclass, field

USAGE = 4  # pytest's exit code for a usage error (pytest.UsageError), as for any bad pytest option


@dataclass
class Case:
    id: str
    args: tuple
    stderr: str  # regex, searched in the one error line
    module: str | None = None  # the text of my_pair.py, written before the run
    files: dict = field(default_factory=dict)  # other files to write first: {name: text}
    env: dict = field(default_factory=dict)
    code: int = USAGE
    not_in: str | None = None  # a phrase the message must not hold (a misleading fix)


PAIR = ("--pair", "my_pair:pair")
# a pair module whose declaration (line 4) sets the keyword filled in; builders never called: refused first
DECLARE = ("from tfpt import InputSpec, ModelPair\n\nSPEC = InputSpec(shape=(4,))\n"
           "pair = ModelPair('p', lambda: None, lambda: None, SPEC, %s)\n")
TRIVIAL = ("test_trivial.py",)  # a test file that passes: only the plugin's checks can fail the run

CASES = [
    # ---- a --pair module that fails to import: file:line and the real cause, never an INTERNALERROR
    Case("pair-syntax-error", PAIR, r"--pair my_pair:pair: 'my_pair' does not parse at \S*my_pair\.py:2: "
         r"SyntaxError: .+; fix: correct that line", module="import os\ndef build(:\n    pass\n"),
    Case("pair-indentation-error", PAIR, r"does not parse at \S*my_pair\.py:2: SyntaxError",
         module="x = 1\n  y = 2\n"),
    Case("pair-raises-at-import", PAIR, r"importing 'my_pair' failed at \S*my_pair\.py:3: RuntimeError: no weights "
         r"file; fix: correct the module", module="import os\n\nraise RuntimeError('no weights file')\n"),
    Case("pair-raises-in-a-function-it-calls", PAIR, r"failed at \S*my_pair\.py:2: ZeroDivisionError: division by "
         r"zero", module="def scale():\n    return 1 / 0\n\n\nSCALE = scale()\n"),
    Case("pair-own-import-fails", PAIR, r"importing 'my_pair' failed at \S*my_pair\.py:1: ModuleNotFoundError: No "
         r"module named 'no_such_dependency_xyz'; fix: install 'no_such_dependency_xyz'",
         module="import no_such_dependency_xyz\n", not_in="run from the folder"),
    Case("pair-helper-module-raises", PAIR, r"failed at \S*helper\.py:1: KeyError: 'MODEL_DIR'",
         module="import helper\n", files={"helper.py": "import os; os.environ['MODEL_DIR']\n"}),
    Case("pair-exits-at-import", PAIR, r"failed at \S*my_pair\.py:2: SystemExit: 3",
         module="import sys\nsys.exit(3)\n"),
    Case("pair-module-not-found", ("--pair", "no_such_pair_module:pair"),
         r"--pair no_such_pair_module:pair: cannot import 'no_such_pair_module' .+; fix: run from the folder that "
         r"holds it"),
    Case("pair-name-unknown", ("--pair", "my_pair"),
         r"--pair my_pair: a registered name \(.*\) or MODULE:ATTR of a tfpt.ModelPair; fix: e.g. --pair spec or "
         r"--pair my_pair:pair", module="x = 1\n"),
    Case("pair-attribute-missing", PAIR, r"expected a tfpt.ModelPair named 'pair' in my_pair, found nothing",
         module="x = 1\n"),
    Case("pair-attribute-not-a-pair", PAIR, r"expected a tfpt.ModelPair named 'pair' in my_pair, found dict",
         module="pair = {'keras': None}\n"),
    Case("pair-imports-a-hidden-framework", PAIR, r"importing 'my_pair' failed at \S*my_pair\.py:2: "
         r"ModuleNotFoundError: torch is hidden by TFPT_HIDE_FRAMEWORKS='torch'; fix: unset TFPT_HIDE_FRAMEWORKS",
         module="import os\nimport torch\n", env={"TFPT_HIDE_FRAMEWORKS": "torch"}, not_in="install"),
    # ---- a declaration the pair module makes is refused at the user's line, with the declaration's one fix
    Case("pair-tolerance-quantile-above-one", PAIR, r"a declaration in 'my_pair' is refused at \S*my_pair\.py:4:"
         r" pair p: tolerances\['forward'\] quantile=2: expected the fraction of elements that must pass, in "
         r"\(0, 1\]; fix: ", module=DECLARE % "tolerances={'forward': {'quantile': 2}}", not_in="tfpt/pair.py"),
    Case("pair-tolerance-why-a-number", PAIR, r"at \S*my_pair\.py:4: pair p: tolerances\['forward'\]=\{'why': 3\}: "
         r"expected .*why a string\); fix: ", module=DECLARE % "tolerances={'forward': {'why': 3}}",
         not_in="tfpt/pair.py"),
    Case("pair-num-classes-zero", PAIR, r"at \S*my_pair\.py:4: pair p: num_classes=0: expected a whole number",
         module=DECLARE % "num_classes=0", not_in="tfpt/pair.py"),
    Case("pair-inputspec-shape-zero", PAIR, r"at \S*my_pair\.py:3: InputSpec shape=0: expected a non-empty tuple",
         module="from tfpt import InputSpec\n\nSPEC = InputSpec(shape=0)\n", not_in="tfpt/pair.py"),
    Case("pair-head-typo-gets-a-fix", PAIR, r"at \S*my_pair\.py:4: pair p: keras_head must be 'logits' or "
         r"'softmax', got 'logit'; fix: correct that declaration", module=DECLARE % "keras_head='logit'"),
    # ---- the plugin's environment variables
    Case("seed-env-not-a-number", TRIVIAL, r"TFPT_SEED='abc': expected an integer >= 0 .+; fix: .*TFPT_SEED=1234",
         env={"TFPT_SEED": "abc"}),
    Case("seed-env-a-float", TRIVIAL, r"TFPT_SEED='1.5': expected an integer", env={"TFPT_SEED": "1.5"}),
    Case("seed-env-negative", TRIVIAL, r"TFPT_SEED='-3': expected an integer >= 0", env={"TFPT_SEED": "-3"}),
    Case("bench-sleep-env-not-a-number", TRIVIAL, r"TFPT_BENCH_SLEEP='ten': expected a finite number >= 0",
         env={"TFPT_BENCH_SLEEP": "ten"}),
    Case("bench-sleep-env-negative", TRIVIAL, r"TFPT_BENCH_SLEEP='-0.1': expected a finite number >= 0",
         env={"TFPT_BENCH_SLEEP": "-0.1"}),
    Case("bench-sleep-env-nan", TRIVIAL, r"TFPT_BENCH_SLEEP='nan': expected a finite", env={"TFPT_BENCH_SLEEP": "nan"}),
    Case("bench-slower-env-inf", TRIVIAL, r"TFPT_BENCH_SLOWER='inf': expected a finite",
         env={"TFPT_BENCH_SLOWER": "inf"}),
    Case("download-env-not-0-or-1", TRIVIAL, r"TFPT_DOWNLOAD='yes': expected 1 \(yes\) or 0 \(no\)",
         env={"TFPT_DOWNLOAD": "yes"}),
    Case("hide-frameworks-unknown-name", TRIVIAL, r"TFPT_HIDE_FRAMEWORKS='jax': framework names", code=2,
         env={"TFPT_HIDE_FRAMEWORKS": "jax"}),
    # ---- the plugin's own options (argparse already refuses non-numbers: these are numbers out of range)
    Case("seed-option-negative", ("--seed", "-1", *TRIVIAL), r"--seed='-1': expected an integer >= 0"),
    Case("bench-sleep-option-negative", ("--bench-sleep", "-1", *TRIVIAL), r"--bench-sleep='-1.0': expected a finite"),
    Case("bench-slower-option-negative", ("--bench-slower", "-0.5", *TRIVIAL), r"--bench-slower='-0.5': expected"),
    Case("seeds-option-zero", ("--seeds", "0", *TRIVIAL), r"--seeds='0': expected an integer >= 1"),
    Case("epoch-rounds-option-zero", ("--bench-epoch-rounds", "0", *TRIVIAL),
         r"--bench-epoch-rounds='0': expected an integer >= 1"),
]
