"""What every command shares: the settings (environment + flags), the --db and --llm options."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable, TypeVar

import click

from ..errors import ConfigError
from ..messages import terminal_language
from ..settings import Settings

F = TypeVar("F", bound=Callable[..., Any])

LLM_HELP = ("Language model use: off; auto (default), only where the rules cannot settle a table; on, "
            "also to cross-check the figures the prose states. Default: EXTRACTOR_LLM or auto.")


def settings(*, terminal: bool = False, **overrides: Any) -> Settings:
    """EXTRACTOR_* from the environment, the command's flags winning; a bad value is a usage error.
    `terminal`: the command's messages are for the terminal: without EXTRACTOR_LANG, in Chinese
    when the locale is Chinese, else in English (messages.terminal_language)."""
    try:
        s = Settings.from_env(**overrides)
    except ConfigError as e:
        raise click.UsageError(str(e)) from e
    return s.model_copy(update={"lang": terminal_language(s.lang)}) if terminal else s


def db_option(*, must_exist: bool = False) -> Callable[[F], F]:
    """--db FILE: the results database (default EXTRACTOR_DB_PATH or results.sqlite). A database
    that must exist is checked by the store, whose error says how to make one."""
    help_ = ("Results database (SQLite" + ("" if must_exist else "; created if absent")
             + "). Default: EXTRACTOR_DB_PATH or results.sqlite.")
    return click.option("--db", "db_path", type=click.Path(path_type=Path, dir_okay=False),
                        default=None, help=help_)


def llm_option(default: str | None = None, help_: str = LLM_HELP) -> Callable[[F], F]:
    """--llm off|auto|on."""
    return click.option("--llm", type=click.Choice(["auto", "on", "off"]), default=default,
                        show_default=default is not None, help=help_)


def json_text(data: Any, pretty: bool = False) -> str:
    """JSON for the terminal or a pipe: UTF-8 as is, unless the text holds lone surrogates (a broken
    text layer), which only JSON's escapes can carry."""
    text = json.dumps(data, ensure_ascii=False, indent=1 if pretty else None)
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return json.dumps(data, ensure_ascii=True, indent=1 if pretty else None)
