"""bot.logmask: no log line holds a member's personal data in clear, whichever logger,
handler or formatter writes it, and no line outgrows a screenful."""
from __future__ import annotations

import io
import json
import logging
import logging.config
import subprocess
import time
import uuid
from typing import Iterator, List, Tuple

import pytest
import yaml

from bot import logmask
from bot.logmask import LIMIT, MaskingFormatter, dict_config_formatter, install, mask_text
from bot.processes import ROOT, VENV_BIN

PHONE, PHONE_MASKED = "13912345678", "139****5678"
ID, ID_MASKED = "110105199003070025", "110***********0025"
NAME, NAME_MASKED = "陈静", "陈*"
CLEAR = (PHONE, ID, "1234 5678", "我叫陈静")


def holds_no_clear_value(text: str) -> bool:
    return not any(value in text for value in CLEAR)


@pytest.fixture()
def capture() -> Iterator[Tuple[logging.Logger, io.StringIO]]:
    """A logger of its own writing through a MaskingFormatter into a string."""
    logger = logging.getLogger(f"test.logmask.{uuid.uuid4().hex}")
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(MaskingFormatter("%(levelname)s %(name)s - %(message)s"))
    logger.addHandler(handler)
    yield logger, stream
    logger.removeHandler(handler)


@pytest.fixture()
def installed() -> Iterator[None]:
    install()
    yield
    logmask.uninstall()


@pytest.fixture()
def sanic_loggers() -> Iterator[List[logging.Logger]]:
    """Sanic's own loggers, restored as they were after the test."""
    loggers = [logging.getLogger(name) for name in ("sanic.root", "sanic.access", "sanic.error")]
    saved = [(logger.handlers[:], logger.level, logger.propagate) for logger in loggers]
    yield loggers
    for logger, (handlers, level, propagate) in zip(loggers, saved):
        logger.handlers[:] = handlers
        logger.setLevel(level)
        logger.propagate = propagate


# ------------------------------------------------------------------------ the formatter
@pytest.mark.parametrize("message,masked", [
    (f"member phone {PHONE}", PHONE_MASKED),
    (f"手机139 1234 5678", PHONE_MASKED),
    (f"id {ID} linked", ID_MASKED),
    (f"user said: 我叫{NAME}，想约专家号", f"我叫{NAME_MASKED}"),
])
def test_a_message_with_personal_data_is_written_masked(capture, message: str, masked: str) -> None:
    logger, stream = capture
    logger.info(message)
    line = stream.getvalue()
    assert masked in line and holds_no_clear_value(line)
    assert line.startswith(f"INFO {logger.name} - ")


def test_personal_data_in_the_arguments_is_masked(capture) -> None:
    logger, stream = capture
    logger.warning("member %s, phone %s, id %s", f"我叫{NAME}", PHONE, ID)
    line = stream.getvalue()
    assert holds_no_clear_value(line)
    assert f"我叫{NAME_MASKED}, phone {PHONE_MASKED}, id {ID_MASKED}" in line


def test_personal_data_in_an_exception_and_its_traceback_is_masked(capture) -> None:
    logger, stream = capture
    try:
        raise ValueError(f"no member with phone {PHONE} and id {ID}")
    except ValueError:
        logger.exception("linking failed for %s", PHONE)
    text = stream.getvalue()
    assert "Traceback (most recent call last)" in text and "ValueError: no member" in text
    assert holds_no_clear_value(text)
    assert text.count(PHONE_MASKED) == 2 and ID_MASKED in text


def test_personal_data_in_stack_info_is_masked(capture) -> None:
    logger, stream = capture
    logger.info("at %s", PHONE, stack_info=True)
    assert "Stack (most recent call last)" in stream.getvalue()
    assert holds_no_clear_value(stream.getvalue())


def test_a_json_dump_with_escaped_chinese_is_masked_and_stays_json(capture) -> None:
    logger, stream = capture
    event = {"event": "user", "text": f"我叫{NAME}，手机{PHONE}，身份证{ID}",
             "metadata": {"note": f"电话：\n{PHONE}"}}
    logger.error("Failed to run custom action. Tracker: %s", json.dumps(event))  # ensure_ascii
    line = stream.getvalue()
    assert holds_no_clear_value(line) and "\\u9648\\u9759" not in line
    dumped = json.loads(line.split("Tracker: ", 1)[1])
    assert dumped["text"] == f"我叫{NAME_MASKED}，手机{PHONE_MASKED}，身份证{ID_MASKED}"
    assert dumped["metadata"]["note"] == f"电话：\n{PHONE_MASKED}"


def test_a_json_dump_inside_a_json_string_is_masked(capture) -> None:
    logger, stream = capture
    inner = json.dumps({"text": f"我叫{NAME}，手机{PHONE}"})
    logger.info(json.dumps({"body": inner}))
    line = stream.getvalue()
    assert json.loads(json.loads(line.split(" - ", 1)[1])["body"])["text"] == (
        f"我叫{NAME_MASKED}，手机{PHONE_MASKED}")


def test_bytes_written_as_escapes_are_masked(capture) -> None:
    logger, stream = capture
    logger.debug("body %r", f"我叫{NAME}，手机一三九一二三四五六七八".encode())
    line = stream.getvalue()
    assert f"我叫{NAME}".encode().hex() not in line.replace("\\x", "")
    assert PHONE_MASKED in line


def test_a_coloured_line_is_masked_and_keeps_its_colours() -> None:
    formatter = MaskingFormatter("\x1b[33m%(message)s\x1b[0m")  # coloredlogs colours warnings
    record = logging.LogRecord("rasa", logging.WARNING, __file__, 1, "%s 我叫%s", (PHONE, NAME), None)
    assert formatter.format(record) == f"\x1b[33m{PHONE_MASKED} 我叫{NAME_MASKED}\x1b[0m"


def tracker_line(size: int) -> str:
    events, turn = [], 0
    while len(json.dumps(events)) < size:
        turn += 1
        events.append({"event": "user", "timestamp": 1764652138.123 + turn,
                       "text": f"第{turn}句：我叫{NAME}，手机{PHONE}，身份证{ID}",
                       "parse_data": {"intent": {"name": "book_expert", "confidence": 0.97},
                                      "entities": [], "text": f"手机{PHONE}"}})
        events.append({"event": "bot", "text": "好的，请问您想约哪家医院？", "data": {}})
    return json.dumps({"sender_id": "wx-member-1", "events": events})


def test_a_63_kb_tracker_line_is_cut_to_a_screenful_and_masked(capture) -> None:
    logger, stream = capture
    line = tracker_line(63_000)
    assert len(line) >= 63_000
    logger.debug("tracker %s", line)
    written = stream.getvalue().rstrip("\n")
    head, note = written.rsplit("… [truncated ", 1)
    assert len(head) <= LIMIT and note.endswith(" characters]")
    assert int(note.split()[0]) > 58_000
    assert holds_no_clear_value(written) and PHONE_MASKED in head


def test_formatting_a_60_kb_line_takes_milliseconds() -> None:
    formatter = MaskingFormatter("%(message)s")
    record = logging.LogRecord("rasa", logging.DEBUG, __file__, 1, tracker_line(60_000), None, None)
    started = time.perf_counter()
    formatter.format(record)
    assert time.perf_counter() - started < 0.5  # measured near 5 ms; this only catches a blow-up


@pytest.mark.parametrize("msg,args", [
    ("%d members", ("many",)),
    ("%s and %s", (PHONE,)),
    ("no placeholder", (PHONE,)),
    ("%(phone)s", ("not a mapping",)),
])
def test_a_record_with_broken_arguments_is_written_masked_and_nothing_raises(
        capture, capsys, msg: str, args: tuple) -> None:
    logger, stream = capture
    logger.info(msg, *args)
    line = stream.getvalue()
    assert "log arguments did not fit the message" in line and holds_no_clear_value(line)
    assert "Logging error" not in capsys.readouterr().err


def test_a_message_whose_str_raises_does_not_raise(capture, capsys) -> None:
    class Unprintable:
        def __str__(self) -> str:
            raise RuntimeError(f"cannot print {PHONE}")

        def __repr__(self) -> str:
            raise RuntimeError("nor repr")

    logger, stream = capture
    logger.info(Unprintable())
    logger.info("phone %s", Unprintable())
    assert stream.getvalue().count("<unprintable") == 2
    assert "Logging error" not in capsys.readouterr().err


def test_mask_text_masks_anything_and_never_raises() -> None:
    assert mask_text(f"operator view: 我叫{NAME} {PHONE}") == f"operator view: 我叫{NAME_MASKED} {PHONE_MASKED}"
    assert mask_text(ValueError(PHONE)) == PHONE_MASKED
    assert mask_text(None) == "None"
    assert mask_text("a" * 10, limit=4) == "aaaa… [truncated 6 characters]"


def test_when_masking_fails_no_digit_or_chinese_character_is_written(capture, monkeypatch) -> None:
    def broken(text: str) -> list:
        raise RuntimeError("a bug in the finder")

    monkeypatch.setattr(logmask.privacy, "find", broken)
    logger, stream = capture
    logger.info("我叫%s %s", NAME, PHONE)
    assert "[masking failed" in stream.getvalue() and holds_no_clear_value(stream.getvalue())
    assert NAME not in stream.getvalue()


def test_a_value_at_the_cut_is_cut_whole() -> None:
    text = "，" * (LIMIT - 5) + PHONE + "，" * 500
    masked = mask_text(text, LIMIT)
    assert masked == "，" * (LIMIT - 5) + f"… [truncated {len(text) - LIMIT + 5} characters]"


# ------------------------------------------------------------------------------ install
def test_install_masks_a_handler_created_after_it(installed) -> None:
    logger = logging.getLogger(f"test.logmask.late.{uuid.uuid4().hex}")
    logger.propagate = False
    plain, formatted = io.StringIO(), io.StringIO()
    without_formatter = logging.StreamHandler(plain)
    with_formatter = logging.StreamHandler(formatted)
    with_formatter.setFormatter(logging.Formatter("%(name)s: %(message)s"))
    logger.addHandler(without_formatter)
    logger.addHandler(with_formatter)
    logger.warning("member %s phone %s", NAME, PHONE)
    assert plain.getvalue() == f"member {NAME} phone {PHONE_MASKED}\n"
    assert formatted.getvalue() == f"{logger.name}: member {NAME} phone {PHONE_MASKED}\n"


def test_install_wraps_the_formatters_of_existing_handlers_once() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("[%(levelname)s] %(message)s", datefmt="%H:%M"))
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        install()
        install()
        assert isinstance(handler.formatter, MaskingFormatter)
        assert not isinstance(handler.formatter.inner, MaskingFormatter)
        assert handler.formatter.datefmt == "%H:%M"  # what code inspecting it reads
        root.warning("phone %s", PHONE)
        assert stream.getvalue() == f"[WARNING] phone {PHONE_MASKED}\n"
    finally:
        logmask.uninstall()
        root.removeHandler(handler)
    assert type(handler.formatter) is logging.Formatter


def test_install_covers_sanics_own_loggers_configured_after_it(installed, sanic_loggers) -> None:
    from sanic.log import LOGGING_CONFIG_DEFAULTS

    streams = {name: io.StringIO() for name in ("sanic.root", "sanic.access", "sanic.error")}
    config = dict(LOGGING_CONFIG_DEFAULTS, handlers={
        "console": dict(LOGGING_CONFIG_DEFAULTS["handlers"]["console"], stream=streams["sanic.root"]),
        "access_console": dict(LOGGING_CONFIG_DEFAULTS["handlers"]["access_console"],
                               stream=streams["sanic.access"]),
        "error_console": dict(LOGGING_CONFIG_DEFAULTS["handlers"]["error_console"],
                              stream=streams["sanic.error"]),
    })
    logging.config.dictConfig(config)
    for logger in sanic_loggers:
        logger.propagate = False
    access = logging.getLogger("sanic.access")
    access.info("", extra={"host": "10.0.0.1:51234", "status": 200, "byte": 42,
                           "request": f"GET http://gateway/book?phone={PHONE}&id={ID}"})
    logging.getLogger("sanic.error").error("Exception occurred while handling uri: %s",
                                            f"/members/{PHONE}")
    logging.getLogger("sanic.root").info("Goin' Fast @ %s for 我叫%s", "http://0.0.0.0:5005", NAME)
    assert f"GET http://gateway/book?phone={PHONE_MASKED}&id={ID_MASKED}" in streams["sanic.access"].getvalue()
    assert f"/members/{PHONE_MASKED}" in streams["sanic.error"].getvalue()
    assert f"我叫{NAME_MASKED}" in streams["sanic.root"].getvalue()
    assert all(holds_no_clear_value(stream.getvalue()) for stream in streams.values())


def test_install_masks_logging_s_own_report_of_a_failed_emit(installed, capsys) -> None:
    class Broken(io.StringIO):
        def write(self, text: str) -> int:
            raise OSError("disk full")

    logger = logging.getLogger(f"test.logmask.broken.{uuid.uuid4().hex}")
    logger.propagate = False
    logger.addHandler(logging.StreamHandler(Broken()))
    logger.error("phone %s", PHONE)
    err = capsys.readouterr().err
    assert "Logging error" in err and "OSError: disk full" in err
    assert PHONE_MASKED in err and PHONE not in err


def test_the_formatter_from_a_dict_config_yaml() -> None:
    name = f"test.logmask.yaml.{uuid.uuid4().hex}"
    config = yaml.safe_load(f"""
        version: 1
        disable_existing_loggers: false
        formatters:
          masked:
            "()": bot.logmask.MaskingFormatter
            format: "%(levelname)s %(message)s"
          helper: {json.dumps(dict_config_formatter("%(name)s %(message)s", limit=120))}
        handlers:
          one: {{class: logging.StreamHandler, formatter: masked, stream: ext://sys.stdout}}
          two: {{class: logging.StreamHandler, formatter: helper, stream: ext://sys.stdout}}
        loggers:
          {name}: {{handlers: [one, two], level: INFO, propagate: false}}
    """)
    logging.config.dictConfig(config)
    logger = logging.getLogger(name)
    one, two = logger.handlers
    try:
        assert isinstance(one.formatter, MaskingFormatter) and isinstance(two.formatter, MaskingFormatter)
        for handler in logger.handlers:
            handler.setStream(io.StringIO())
        logger.info("phone %s %s", PHONE, "z" * 100)
        assert one.stream.getvalue() == f"INFO phone {PHONE_MASKED} {'z' * 100}\n"
        assert two.stream.getvalue().startswith(f"{name} phone {PHONE_MASKED}")
        assert "… [truncated" in two.stream.getvalue()
    finally:
        for handler in logger.handlers[:]:
            logger.removeHandler(handler)


def test_a_real_process_writes_no_personal_data_to_its_log_file(tmp_path) -> None:
    log = tmp_path / "process.log"
    program = f"""
import json, logging
from bot.logmask import install
install(logging.INFO)
logging.basicConfig(filename={str(log)!r}, encoding="utf-8",
                    format="%(asctime)s %(levelname)s %(name)s - %(message)s")
logging.getLogger("rasa.core.processor").info("Received user message '我叫陈静，手机{PHONE}'")
logging.getLogger("actions").warning("linking %s with %s", "{ID}", "139 1234 5678")
logging.getLogger("rasa.core.actions").error("tracker %s", json.dumps({{"text": "我叫陈静 {PHONE}"}}))
try:
    raise KeyError("{PHONE}")
except KeyError:
    logging.getLogger("gateway").exception("lookup failed")
"""
    result = subprocess.run([str(VENV_BIN / "python"), "-c", program], cwd=ROOT,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    written = log.read_text(encoding="utf-8")
    assert written.count(PHONE_MASKED) == 4 and ID_MASKED in written
    for clear in (PHONE, ID, "1234 5678", "陈静", "\\u9648\\u9759"):
        assert clear not in written
    assert "KeyError" in written
