"""Logs: JSON lines for machines, structlog's console format for a terminal (a real pty here)."""

from __future__ import annotations

import io
import os

import orjson
import structlog

from controller.observe import logging as logging_mod


def test_a_pipe_or_file_gets_json_lines():
    buf = io.BytesIO()
    assert logging_mod.log_format(buf, {}) == "json"
    logging_mod.configure("info", buf, cache=False)
    structlog.get_logger("t").info("hello", key="HTTPRoute/a/b")
    line = orjson.loads(buf.getvalue().splitlines()[-1])
    assert line["event"] == "hello" and line["key"] == "HTTPRoute/a/b" and line["level"] == "info"


def test_a_terminal_gets_the_console_format():
    master, slave = os.openpty()
    try:
        with open(slave, "w", closefd=False) as tty:
            assert logging_mod.log_format(tty, {}) == "console"
            logging_mod.configure("info", tty, cache=False)
            structlog.get_logger("t").info("hello", key="HTTPRoute/a/b")
            tty.flush()
        out = os.read(master, 4096).decode()
    finally:
        os.close(master)
        os.close(slave)
        logging_mod.configure("info", io.BytesIO(), cache=False)
    assert "hello" in out and "HTTPRoute/a/b" in out and "key" in out
    assert not out.lstrip().startswith("{")  # not JSON


def test_the_variable_overrides_the_guess():
    assert logging_mod.log_format(io.BytesIO(), {"LATTICEGW_LOG_FORMAT": "console"}) == "console"
    master, slave = os.openpty()
    try:
        with open(slave, "w", closefd=False) as tty:
            assert logging_mod.log_format(tty, {"LATTICEGW_LOG_FORMAT": "JSON"}) == "json"
    finally:
        os.close(master)
        os.close(slave)
