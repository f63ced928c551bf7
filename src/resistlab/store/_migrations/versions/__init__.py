"""Alembic revisions of the ResistLab schema, oldest first: 0001, 0002, ..."""
