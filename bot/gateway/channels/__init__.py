"""Chat channel adapters: one module per channel, one interface (base.py)."""
