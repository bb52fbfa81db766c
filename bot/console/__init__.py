"""The manager console: login, queue, conversations, hand back (mounted in the gateway app)."""
