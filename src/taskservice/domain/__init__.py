"""The task domain: plain values, rules and facts. Imports only the standard library and msgspec."""
