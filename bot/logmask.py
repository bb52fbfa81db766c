"""One masking log formatter for every process: members' personal data (bot.privacy)
never reaches a log line in clear, and no line grows past a screenful.

Interface (each process calls `install()` once, first thing at start):

    install(level=None)
        Every log line of the process is masked from then on, whichever logger, handler
        or formatter writes it: Rasa's, Sanic's (sanic.root, sanic.access, sanic.error
        have handlers of their own), ours, and handlers created later (dictConfig,
        logging.basicConfig, coloredlogs). Idempotent. `level`, when given, is set on
        the root logger. `uninstall()` undoes it (for tests).
    MaskingFormatter(fmt=None, datefmt=None, style="%", validate=True, *, inner=None,
                     limit=LIMIT)
        A logging.Formatter: formats the record as usual (message, arguments, exception
        traceback, stack), or with `inner`, another formatter, when given; then masks the
        whole line with bot.privacy's display mask (139****5678, 110***********0025,
        陈*) and keeps the first `limit` characters of a longer line, noting how many
        were dropped (Rasa logs whole trackers: one line was 63 KB). It never raises:
        a record whose arguments do not fit its message is written with both shown
        (masked). From a logging dictConfig (YAML or dict):
            formatters: {masked: {"()": bot.logmask.MaskingFormatter,
                                  format: "%(asctime)s %(levelname)s %(name)s - %(message)s"}}
        or `dict_config_formatter(fmt)`, which returns that entry.
    mask_text(text, limit=None) -> str
        The same masking for text written elsewhere than a log (an exception shown to
        an operator). Never raises.

What is masked: what bot.privacy.find finds, in the line as written and inside the
dumps Rasa writes: JSON with \\uXXXX escapes (json.dumps' ensure_ascii; a tracker in an
action-error dump), bytes' \\xNN escapes (UTF-8), \\n before a number. A masked value in
an escaped stretch is written back escaped the same way, so a JSON dump stays JSON.

Not covered: handlers that ship the record itself rather than a formatted line
(logging.handlers.SocketHandler, DatagramHandler, HTTPHandler; the product uses none),
and print().
"""
from __future__ import annotations

import bisect
import codecs
import copy
import logging
import re
import sys
import traceback
from typing import Any, Callable, Dict, List, Optional, Tuple

from bot import privacy

# Longest line written in full; a longer one keeps its head and a note.
LIMIT = 4000
# Masked beyond the cut, so that a value straddling it is found whole and cut before.
_MARGIN = 200
DEFAULT_FORMAT = "%(asctime)s %(levelname)-8s %(name)s - %(message)s"

# Escapes a dump writes for a character: \uXXXX (JSON, ensure_ascii), \xNN (the repr of
# bytes, UTF-8), \n \r \t \b \f (so that "\n13912345678" is not read as n + digits).
# Any number of backslashes: a JSON dump inside a JSON string doubles them. And terminal
# colours (coloredlogs colours a warning's message: ESC[33m13912345678), read as nothing.
_ESCAPE = re.compile(r"(\\+)(?:u([0-9a-fA-F]{4})|x([0-9a-fA-F]{2})|([nrtbf]))"
                     r"|\x1b\[[0-9;?]*[ -/]*[@-~]")
_CONTROL = {"n": "\n", "r": "\r", "t": "\t", "b": "\b", "f": "\f"}


class _Unescaped:
    """`text` with its escapes decoded, and for each decoded character where it came
    from in `text` and how it was escaped ("" as written, else backslashes + u or x)."""

    def __init__(self, text: str) -> None:
        chars: List[str] = []
        self.starts: List[int] = []
        self.ends: List[int] = []
        self.styles: List[str] = []
        decoder: Any = None  # a UTF-8 decoder while a run of \xNN lasts
        pending = 0  # where the undecoded bytes of that run start
        run_style = ""
        last = 0

        def add(char: str, start: int, end: int, style: str) -> None:
            chars.append(char)
            self.starts.append(start)
            self.ends.append(end)
            self.styles.append(style)

        def flush_bytes(end: int) -> None:
            nonlocal decoder
            if decoder is not None:
                for char in decoder.decode(b"", final=True):
                    add(char, pending, end, run_style)
                decoder = None

        for match in _ESCAPE.finditer(text):
            slashes, unicode, byte, control = match.groups()
            if decoder is not None and (byte is None or match.start() != last):
                flush_bytes(last)
            for index in range(last, match.start()):
                add(text[index], index, index + 1, "")
            if byte is not None:
                if decoder is None:
                    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
                    pending, run_style = match.start(), slashes + "x"
                for char in decoder.decode(bytes.fromhex(byte)):
                    add(char, pending, match.end(), run_style)
                    pending = match.end()
            elif unicode is not None:
                add(chr(int(unicode, 16)), match.start(), match.end(), slashes + "u")
            elif control is not None:
                add(_CONTROL[control], match.start(), match.end(), slashes + control)
            last = match.end()
        flush_bytes(last)
        for index in range(last, len(text)):
            add(text[index], index, index + 1, "")
        self.text = "".join(chars)

    def span(self, start: int, end: int) -> Tuple[int, int]:
        """Where decoded text[start:end] is in the source."""
        return self.starts[start], self.ends[end - 1]

    def boundary(self, position: int) -> int:
        """`position` in the source, moved back to the start of an escape it is inside."""
        index = bisect.bisect_right(self.starts, position) - 1
        if 0 <= index < len(self.starts) and self.starts[index] < position < self.ends[index]:
            return self.starts[index]
        return position

    def render(self, start: int, end: int, replacement: str) -> str:
        """`replacement` for decoded text[start:end], escaped as its first escaped
        character was (陈* inside JSON is written \\u9648*)."""
        style = next((s for s in self.styles[start:end] if s and s[-1] in "ux"), "")
        if not style or replacement.isascii():
            return replacement
        slashes, kind = style[:-1], style[-1]
        out = []
        for char in replacement:
            if char.isascii():
                out.append(char)
            elif kind == "x":
                out.extend(f"{slashes}x{byte:02x}" for byte in char.encode("utf-8"))
            else:
                encoded = char.encode("utf-16-be")
                out.extend(f"{slashes}u{encoded[i:i + 2].hex()}" for i in range(0, len(encoded), 2))
        return "".join(out)


def _masked(text: str, limit: Optional[int]) -> str:
    whole = limit is None or len(text) <= limit
    window = text if whole else text[:limit + _MARGIN]
    view = _Unescaped(window) if "\\" in window or "\x1b" in window else None
    spans = privacy.find(view.text if view else window)
    places = [view.span(s.start, s.end) if view else (s.start, s.end) for s in spans]
    cut = len(window) if whole else limit
    if view:
        cut = view.boundary(cut)
    for start, end in places:
        if start < cut < end:  # never cut a value in two
            cut = start
    parts, last = [], 0
    for span, (start, end) in zip(spans, places):
        if end > cut:
            break
        mask = privacy.display_mask(span)
        parts += [window[last:start], view.render(span.start, span.end, mask) if view else mask]
        last = end
    parts.append(window[last:cut])
    if cut < len(text):
        parts.append(f"… [truncated {len(text) - cut} characters]")
    return "".join(parts)


def _scrubbed(text: str, limit: Optional[int]) -> str:
    """When masking itself fails: no digit and no Chinese character left."""
    head = text if limit is None else text[:limit]
    return re.sub(r"[\d\u3400-\u9fff]", "*", head) + " [masking failed: digits and Chinese hidden]"


def mask_text(text: Any, limit: Optional[int] = None) -> str:
    """`text` with its personal data masked for display, cut to `limit` characters (and
    a note) when longer. Never raises."""
    text = _safe_str(text)
    try:
        return _masked(text, limit)
    except Exception:  # a bug here must neither leak the text nor break the caller
        return _scrubbed(text, limit)


# --------------------------------------------------------------------------- formatting
def _safe_str(value: Any) -> str:
    if isinstance(value, str):
        return value
    for render in (str, repr):
        try:
            return render(value)
        except Exception:
            pass
    return f"<unprintable {type(value).__name__}>"


def _unformattable(format_record: Callable[[logging.LogRecord], str], record: logging.LogRecord,
                   error: Exception) -> str:
    """A record that would not format (arguments that do not fit the message, an object
    whose str raises): its message and arguments as they are, in the usual line."""
    safe = copy.copy(record)
    safe.msg = (f"{_safe_str(record.msg)} [log arguments did not fit the message, "
                f"{type(error).__name__}: {_safe_str(record.args)}]")
    safe.args = None
    try:
        return format_record(safe)
    except Exception:
        lines = [safe.msg]
        if record.exc_info:
            lines += traceback.format_exception(*record.exc_info)
        return "\n".join(lines)


def _format_masked(format_record: Callable[[logging.LogRecord], str], record: logging.LogRecord,
                   limit: Optional[int]) -> str:
    try:
        text = format_record(record)
    except Exception as error:
        text = _unformattable(format_record, record, error)
    return mask_text(text, limit)


class MaskingFormatter(logging.Formatter):
    """A logging formatter whose lines hold no personal data in clear and are at most
    `limit` characters long (the module docstring describes it)."""

    def __init__(self, fmt: Optional[str] = None, datefmt: Optional[str] = None,
                 style: str = "%", validate: bool = True, *, inner: Any = None,
                 limit: Optional[int] = LIMIT, format: Optional[str] = None,
                 defaults: Optional[Dict[str, Any]] = None) -> None:
        # `format` is what a dictConfig entry names the format string
        fmt = fmt if fmt is not None else format
        if defaults is None:
            super().__init__(fmt, datefmt, style, validate)
        else:
            super().__init__(fmt, datefmt, style, validate, defaults=defaults)
        self.inner = inner
        self.limit = limit
        if inner is not None:  # read by code that inspects a handler's formatter
            self._style = getattr(inner, "_style", self._style)
            self._fmt = getattr(inner, "_fmt", self._fmt)
            self.datefmt = getattr(inner, "datefmt", self.datefmt)

    def __getattr__(self, name: str) -> Any:
        inner = self.__dict__.get("inner")
        if inner is None:
            raise AttributeError(name)
        return getattr(inner, name)

    def format(self, record: logging.LogRecord) -> str:
        format_record = self.inner.format if self.inner is not None else super().format
        return _format_masked(format_record, record, self.limit)


def dict_config_formatter(fmt: str = DEFAULT_FORMAT, datefmt: Optional[str] = None,
                          limit: Optional[int] = LIMIT) -> Dict[str, Any]:
    """A `formatters:` entry of a logging dictConfig for MaskingFormatter."""
    entry: Dict[str, Any] = {"()": f"{__name__}.MaskingFormatter", "format": fmt, "limit": limit}
    if datefmt is not None:
        entry["datefmt"] = datefmt
    return entry


# ----------------------------------------------------------------------------- install
_PLAIN = logging.Formatter()  # what a handler without a formatter writes
_ORIGINAL = {name: getattr(logging.Handler, name) for name in ("format", "setFormatter", "handleError")}


def _handler_format(self: logging.Handler, record: logging.LogRecord) -> str:
    formatter = self.formatter or _PLAIN
    if isinstance(formatter, MaskingFormatter):
        return formatter.format(record)
    return _format_masked(formatter.format, record, LIMIT)


def _set_formatter(self: logging.Handler, fmt: Optional[logging.Formatter]) -> None:
    if fmt is not None and not isinstance(fmt, MaskingFormatter):
        fmt = MaskingFormatter(inner=fmt)
    self.formatter = fmt


def _handle_error(self: logging.Handler, record: logging.LogRecord) -> None:
    """logging's own report of a failed emit prints the record's message and arguments
    to stderr; this one masks them."""
    if not (logging.raiseExceptions and sys.stderr):
        return
    try:
        report = ("--- Logging error ---\n" + "".join(traceback.format_exception(*sys.exc_info()))
                  + f"Message: {_safe_str(record.msg)}\nArguments: {_safe_str(record.args)}\n")
        sys.stderr.write(mask_text(report, LIMIT) + "\n")
    except Exception:
        pass


def _handlers() -> List[logging.Handler]:
    loggers = [logging.getLogger()] + [
        logger for logger in logging.Logger.manager.loggerDict.values()
        if isinstance(logger, logging.Logger)
    ]
    return [handler for logger in loggers for handler in logger.handlers]


def install(level: Optional[int] = None) -> None:
    """Mask every log line of this process from now on (the module docstring)."""
    if level is not None:
        logging.getLogger().setLevel(level)
    # Handler.format covers every handler whatever its formatter (or none); wrapping the
    # formatters covers handlers that override format() and call their formatter.
    logging.Handler.format = _handler_format  # type: ignore[assignment]
    logging.Handler.setFormatter = _set_formatter  # type: ignore[assignment]
    logging.Handler.handleError = _handle_error  # type: ignore[assignment]
    for handler in _handlers():
        handler.setFormatter(handler.formatter)


def uninstall() -> None:
    """Undo install (for tests): logging as it was, formatters unwrapped."""
    for name, original in _ORIGINAL.items():
        setattr(logging.Handler, name, original)
    for handler in _handlers():
        formatter = handler.formatter
        if isinstance(formatter, MaskingFormatter) and formatter.inner is not None:
            handler.formatter = formatter.inner
