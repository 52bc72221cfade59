"""Clients of outside services (Slack, GitHub). Each module imports its SDK itself: import them
only in the commands that need them, so that `pgship --help` and `pgship status` stay fast."""
