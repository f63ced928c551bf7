"""Alembic environment of `resistlab.store` (configured in code, no alembic.ini).

``env.py`` runs the revisions in ``versions/`` on the connection that
`resistlab.store.upgrade` hands it.
"""
