"""Domain facts and their wording, stated once: standard library only, so that the pure rule
modules and the clinic's settings table import the same definitions."""
