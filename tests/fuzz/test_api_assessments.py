"""The API fuzz (tests/fuzz/harness.py) on assessments and findings, as each role."""


def test_assessments_answer_as_the_schema_says(run):
    for operation in run.operations("assessments"):
        run.coverage(operation)
        run.fuzzing(operation)
    assert not run.failures, "\n\n".join(run.failures)
