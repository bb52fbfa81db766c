"""The gateway: chat channels, conversation store, routing to Rasa or a health manager, handoff."""
