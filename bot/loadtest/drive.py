"""Closed-loop load at one concurrency: N members at once, each sending its next message
only when the last reply to the previous one has come (a real member waits too), until
the level's messages are used up. A scenario is started only when all its messages fit
in what is left, so a level ends with every conversation at rest.

A member leaves after a visit of `VISIT_MESSAGES` messages (at the end of a
scenario) and a new member takes its place, so a conversation is as long at 1
concurrent member as at 64. A member handed to a manager (on purpose or not) then
waits for the manager: a new member takes its place, as does one whose turn failed, so
no script goes on from a state it did not expect."""
from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Callable, List, Optional, Tuple

from bot.loadtest.members import OK, Channel, Conversation
from bot.loadtest.mix import Mix

OPEN_TRIES = 3
# Messages a member sends before leaving (finishing the scenario it is in): a visit of a
# few questions and a booking, not one endless conversation.
VISIT_MESSAGES = 8


@dataclass
class Sample:
    kind: str  # the scenario's kind
    outcome: str
    latency_ms: Optional[float]
    at: float  # seconds from the level's start to the send
    detail: str = ""
    text: str = ""  # what the member wrote (for the error list)
    reply: str = ""  # the start of what came back, when it was not right


@dataclass
class LevelRun:
    target: str
    concurrency: int
    elapsed_s: float
    samples: List[Sample] = field(default_factory=list)
    open_errors: List[str] = field(default_factory=list)


class Identities:
    """Load member numbers, handed out in order and never twice, from `first` to
    `last`; past the end it starts again (`wrapped` says so: reused members carry
    their earlier conversations)."""

    def __init__(self, first: int, last: int) -> None:
        self.first, self.last = first, last
        self.next = first
        self.wrapped = False

    def take(self) -> int:
        if self.next > self.last:
            self.next, self.wrapped = self.first, True
        number, self.next = self.next, self.next + 1
        return number


class Budget:
    def __init__(self, messages: int) -> None:
        self.left = messages

    def reserve(self, count: int) -> bool:
        if count > self.left:
            return False
        self.left -= count
        return True

    def release(self, count: int) -> None:
        self.left += count


async def drive(channel: Channel, target: str, mix: Mix, concurrency: int,
                messages: int, identities: Identities, timeout: float,
                on_message: Callable[[], None] = lambda: None) -> LevelRun:
    """Run `messages` messages through `channel` with `concurrency` members."""
    run = LevelRun(target, concurrency, 0.0)
    budget = Budget(messages)

    async def open_member() -> Optional[Tuple[int, Conversation]]:
        for _ in range(OPEN_TRIES):
            number = identities.take()
            try:
                return number, await channel.open(number)
            except Exception as error:  # a refused start, a broken stream
                run.open_errors.append(f"{type(error).__name__}: {error}"[:200])
                await asyncio.sleep(0.5)
        return None

    # Members open their chats first (the page's start, history and stream); the clock
    # starts with the first message.
    members = await asyncio.gather(*[open_member() for _ in range(concurrency)])
    began = time.perf_counter()

    async def member(opened: Optional[Tuple[int, Conversation]]) -> None:
        sent = bookings = 0
        while opened is not None:
            number, conversation = opened
            scenario = mix.draw(number, bookings)
            if not budget.reserve(len(scenario.steps)):
                break
            leave = scenario.hands_off
            for done, step in enumerate(scenario.steps, start=1):
                at = time.perf_counter() - began
                turn = await conversation.say(step, timeout)
                reply = "" if turn.outcome == OK else " / ".join(turn.texts)[:160]
                run.samples.append(Sample(scenario.kind, turn.outcome, turn.latency_ms, at,
                                          turn.detail, step.text, reply))
                on_message()
                sent += 1
                if turn.outcome != OK:
                    budget.release(len(scenario.steps) - done)
                    leave = True
                    break
            bookings += scenario.kind == "booking"
            if leave or sent >= VISIT_MESSAGES:
                await conversation.close()
                opened = await open_member()
                sent = bookings = 0
        if opened is not None:
            await opened[1].close()

    await asyncio.gather(*[member(m) for m in members])
    run.elapsed_s = time.perf_counter() - began
    return run
