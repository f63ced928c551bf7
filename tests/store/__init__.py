"""Tests of resistlab.store on SQLite and PostgreSQL."""
