"""Migration files: discovery, splitting into statements, history and locking."""
