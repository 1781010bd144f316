"""The IPython magics of ``%load_ext zen_nb``: ``%zen_setup``, ``%zen_flow_form``, ``%zen_flows``, ``%zen_sandbox``,
``%zen_join``.

A usage error names the option that is wrong and what it takes, but never repeats a value that
was given: argparse's own messages do (``invalid choice: '...'``, ``unrecognized arguments:
...``), and a value pasted into the wrong place may be a token, which would then be shown in
the output and kept in the notebook.
"""

from __future__ import annotations

import os
import re
from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments, parse_argstring
from IPython.utils.process import arg_split

from .vocabulary import FLOW_STATUSES, TARGET_TYPES


@magics_class
class ZenMagics(Magics):
    """Zen Mesh in a notebook without writing the setup code."""

    @line_magic
    def zen_setup(self, line: str) -> Any:
        """Show the environment form (zen_nb.setup())."""
        _no_arguments("%zen_setup", line)
        from .widgets import setup

        return setup()

    @line_magic
    def zen_flow_form(self, line: str) -> Any:
        """Show the create-a-flow form (zen_nb.flow_form())."""
        _no_arguments("%zen_flow_form", line)
        from .widgets import flow_form

        return flow_form()

    @magic_arguments()
    @argument("--plane", help="the plane to read (default: ZEN_PLANE_ID)")
    @argument("--all-planes", action="store_true", help="read every plane of the tenant")
    @argument("--status", choices=FLOW_STATUSES, help="only flows in this status")
    @argument("--source", help="only flows from this ingester, e.g. ingester_stripe")
    @argument("--target-type", choices=TARGET_TYPES, help="only flows to targets of this type")
    @line_magic
    def zen_flows(self, line: str) -> Any:
        """The flows as a DataFrame (zen_nb.load_flows())."""
        args = _parse(self.zen_flows, "%zen_flows", line)
        if args.plane and args.all_planes:
            raise UsageError("%zen_flows: give --plane or --all-planes, not both")
        from .frames import load_flows

        return load_flows(
            planes="all" if args.all_planes else args.plane,
            status=args.status,
            source=args.source,
            target_type=args.target_type,
        )

    @magic_arguments()
    @argument(
        "action", choices=["start", "stop", "status"], help="start (or find) a sandbox, stop it, or say where it runs"
    )
    @line_magic
    def zen_sandbox(self, line: str) -> None:
        """The local sandbox: start sets the ZEN_* variables of this kernel to its demo tenant."""
        args = _parse(self.zen_sandbox, "%zen_sandbox", line)
        from . import local_sandbox

        if args.action == "start":
            env, what = local_sandbox.find_or_start()
            os.environ.update(env)
            print(f"Zen Mesh sandbox: {what}; ZEN_* are set in this kernel (token not shown).")
        elif args.action == "stop":
            print(local_sandbox.stop())
        else:
            print(local_sandbox.status())

    @magic_arguments()
    @argument("code", help="the join code your trainer gave, such as K7QM-3XPD")
    @argument(
        "--api-base", help="the class's address, such as http://HOST:PORT (default: ZEN_API_BASE, or this machine)"
    )
    @line_magic
    def zen_join(self, line: str) -> Any:
        """Join a training class with its code: sets the five ZEN_* of this kernel (zen_nb.join())."""
        args = _parse(self.zen_join, "%zen_join", line)
        from .joining import join

        return join(args.code, args.api_base)


_HIDDEN = "<value not shown>"
# A value this long may be a secret: hidden wherever it occurs in a message, not only where argparse quotes it.
_SECRET_LENGTH = 6


def _no_arguments(name: str, line: str) -> None:
    if line.strip():
        count = len(arg_split(line, strict=False))
        raise UsageError(
            f"{name} takes no arguments (it was given {count}, not shown in case one is a secret): run {name} alone"
        )


def _parse(magic: Any, name: str, line: str) -> Any:
    """The magic's arguments, or a :class:`UsageError` that repeats no value of ``line``."""
    try:
        return parse_argstring(magic, line)
    except ValueError:  # shlex: "No closing quotation", whose message holds no value
        raise UsageError(f"{name}: a quote in the arguments is not closed") from None
    except UsageError as error:
        raise UsageError(f"{name}: {_without_values(str(error), magic.parser, line)}") from None


def _without_values(message: str, parser: Any, line: str) -> str:
    """argparse's ``message`` with every word of ``line`` that is not an option name or a choice hidden."""
    known = {option for action in parser._actions for option in action.option_strings}
    known |= {str(choice) for action in parser._actions for choice in action.choices or ()}
    hidden = set()
    for word in arg_split(line, strict=False):
        option, equals, value = word.partition("=")
        if word in known:
            continue
        hidden.add(word)
        if equals and option in known:
            hidden.add(value)
    hidden.discard("")
    # argparse lists what it could not use after this phrase, as the words were given.
    message = re.sub(
        r"(unrecognized arguments: )(.*)$",
        lambda found: found[1] + " ".join(word if word in known else _HIDDEN for word in found[2].split(" ")),
        message,
    )
    # ... and an abbreviated option as it was given, a value after "=" included.
    message = re.sub(r"(ambiguous option: )\S+", lambda found: found[1] + _HIDDEN, message)
    for value in sorted(hidden, key=len, reverse=True):
        for quoted in (repr(value), f'"{value}"'):
            message = message.replace(quoted, _HIDDEN)
        if len(value) >= _SECRET_LENGTH:
            message = message.replace(value, _HIDDEN)
    return message
