"""Adapters: the ports implemented on real (or in-memory) infrastructure."""
