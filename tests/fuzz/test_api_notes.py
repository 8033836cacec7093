"""The API fuzz (tests/fuzz/harness.py) on visit notes, their addenda and visits' note states,
as each role."""


def test_visit_notes_answer_as_the_schema_says(run):
    for operation in run.operations("notes"):
        run.coverage(operation)
        run.fuzzing(operation)
    assert not run.failures, "\n\n".join(run.failures)
