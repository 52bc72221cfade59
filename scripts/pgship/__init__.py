"""pgship: ship PostgreSQL schema changes from GitHub safely."""

__version__ = "0.1.0"
