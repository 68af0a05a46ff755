"""Ports: the Protocols the use cases need from the outside world, in domain types."""
