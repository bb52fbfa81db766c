"""The load benchmark: simulated members through the gateway (web chat and the WeChat
simulator) and Rasa's REST channel, against a stock `rasa init` assistant on the same
machine (`make loadtest`, `python -m bot.loadtest`; docs/performance.md).

Where things are: mix.py (what members write, and what counts as the right answer),
members.py (a member on each channel: one message, its replies, the time it took),
drive.py (closed-loop load at one concurrency), stack.py (the processes measured: the
embedded default, the stock assistant, or a deployment given by URL), memory.py
(resident memory of every process), report.py (figures, targets, table, JSON, chart),
__main__.py (the command line and the interleaved rounds)."""
