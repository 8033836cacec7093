"""The API fuzz (tests/fuzz/harness.py) on the schedule, API tokens, webhooks and every operation
of no other module, as each role."""


def test_every_other_operation_answers_as_the_schema_says(run):
    for operation in run.operations("schedule_and_admin"):
        run.coverage(operation)
        run.fuzzing(operation)
    assert not run.failures, "\n\n".join(run.failures)
