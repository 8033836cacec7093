"""The API fuzz (tests/fuzz/harness.py) on return-to-run plans (read, confirm, override) and the walk-run
programs, as each role."""


def test_return_to_run_answers_as_the_schema_says(run):
    for operation in run.operations("return_to_run"):
        run.coverage(operation)
        run.fuzzing(operation)
    assert not run.failures, "\n\n".join(run.failures)
