"""The API fuzz (tests/fuzz/harness.py) on patients, episodes and intakes, as each role."""


def test_records_answer_as_the_schema_says(run):
    for operation in run.operations("records"):
        run.coverage(operation)
        run.fuzzing(operation)
    assert not run.failures, "\n\n".join(run.failures)
