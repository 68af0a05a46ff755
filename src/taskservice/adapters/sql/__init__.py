"""The SQL store: SQLAlchemy Core statements on an async engine (SQLite file or PostgreSQL)."""
