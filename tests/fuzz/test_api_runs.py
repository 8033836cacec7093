"""The API fuzz (tests/fuzz/harness.py) on the run log, as each role."""


def test_runs_answer_as_the_schema_says(run):
    for operation in run.operations("runs"):
        run.coverage(operation)
        run.fuzzing(operation)
    assert not run.failures, "\n\n".join(run.failures)
