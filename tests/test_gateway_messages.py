"""The gateway's and the console's sentences and labels (bot/gateway/messages.py): pure
functions of plain values, tested by table."""
from __future__ import annotations

import pytest

from bot.gateway import messages


@pytest.mark.parametrize("display_name, joined, calls_back", [
    ("王芳", "您好，我是您的私人健康管家王芳，接下来由我为您服务。",
     "您好，我是您的私人健康管家王芳，看到了您之前的留言，现在由我为您服务。"),
    # The default account of scripts/run.sh: never 健康管家健康管家.
    ("健康管家", "您好，我是您的私人健康管家，接下来由我为您服务。",
     "您好，我是您的私人健康管家，看到了您之前的留言，现在由我为您服务。"),
    ("管家wang", "您好，我是您的私人健康管家，接下来由我为您服务。",
     "您好，我是您的私人健康管家，看到了您之前的留言，现在由我为您服务。"),
    ("", "您好，我是您的私人健康管家，接下来由我为您服务。",
     "您好，我是您的私人健康管家，看到了您之前的留言，现在由我为您服务。"),
    (None, "您好，我是您的私人健康管家，接下来由我为您服务。",
     "您好，我是您的私人健康管家，看到了您之前的留言，现在由我为您服务。"),
])
def test_the_managers_greeting_reads_naturally_whatever_the_display_name(
        display_name, joined, calls_back):
    assert messages.manager_joined(display_name) == joined
    assert messages.manager_calls_back(display_name) == calls_back
