"""Writes of the return-to-run work, one module per area (readiness, phases, uploads, runs)."""
