"""Instructor tools: release, collect, grade, feedback, grades."""
