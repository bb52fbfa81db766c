"""Custom actions for the Rasa action server (`rasa run actions`).

rasa-sdk registers every Action subclass in every submodule of this package.
Actions are thin: slots in, one call into bot/, named responses out.
"""
