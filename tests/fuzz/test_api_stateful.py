"""The API fuzz's stateful phase (tests/fuzz/harness.py): scenarios over the schema's links, as each role."""


def test_scenarios_over_the_links_answer_as_the_schema_says(run):
    run.stateful(run.schema())
    assert not run.failures, "\n\n".join(run.failures)
