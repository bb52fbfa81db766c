"""Conversation review (docs/review.md): the inbox, filters, decisions, clusters and the
export of corrections into training data, on the gateway's database."""
