"""Use cases: what the service does, written against ports only."""
