"""The API fuzz (tests/fuzz/harness.py) on plans, their items and visits, and the intervention
library, as each role."""


def test_plans_answer_as_the_schema_says(run):
    for operation in run.operations("plans"):
        run.coverage(operation)
        run.fuzzing(operation)
    assert not run.failures, "\n\n".join(run.failures)
