"""The kit's copy of the split format's names agrees with the platform's (evaluator.splitformat)."""

from forgerybench_starter import contract

from evaluator import splitformat


def test_the_kit_speaks_the_platforms_protocol_and_file_names() -> None:
    assert contract.PROTOCOL == splitformat.PROTOCOL_VERSION
    assert contract.TASK_FILE == splitformat.TASK_FILE
    assert contract.MANIFEST_FILE == splitformat.MANIFEST_FILE
    assert contract.PREDICTIONS_FILE == splitformat.PREDICTIONS_FILE
