"""Instructor tools: release, collect, grade, feedback, grades, check-source (and the guards of hidden tests)."""
