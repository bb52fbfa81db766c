"""The embedded default's processes under supervisord (`make run`): what runs
(programs.py), the supervisord configuration made from it (config.py), the storm guard
that stops restarting a service that keeps crashing (guard.py), and the start-up
progress a newcomer sees (progress.py). docs/operations.md says why supervisord."""
