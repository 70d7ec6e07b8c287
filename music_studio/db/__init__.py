"""Persistence: tables, connections, migrations."""
