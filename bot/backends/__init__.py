"""The reference backends service: members, scheduling, direct billing and
pre-authorisation behind an HTTP API (docs/backends.md)."""
