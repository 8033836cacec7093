"""The API fuzz (tests/fuzz/harness.py) on runners' device files, as each role."""


def test_device_file_operations_answer_as_the_schema_says(run):
    for operation in run.operations("run_files"):
        run.coverage(operation)
        run.fuzzing(operation)
    assert not run.failures, "\n\n".join(run.failures)
