"""The API fuzz (tests/fuzz/harness.py) on return-to-run checks, as each role."""


def test_return_to_run_checks_answer_as_the_schema_says(run):
    for operation in run.operations("readiness"):
        run.coverage(operation)
        run.fuzzing(operation)
    assert not run.failures, "\n\n".join(run.failures)
