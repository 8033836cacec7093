"""FHIR R4 export of a patient's record: ``/fhir/Patient/{id}/$everything`` and per-resource reads.

``mapping`` turns rows into resources, ``selectors`` loads a patient's rows in a fixed number
of queries, ``bundle`` assembles them, ``views`` serves them as ``application/fhir+json``.
Nothing is stored: the export is built from the records each time.
"""
