"""The IPython magics of ``%load_ext zen_nb``: ``%zen_setup``, ``%zen_flow_form``, ``%zen_flows``, ``%zen_sandbox``."""

from __future__ import annotations

import os
from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments, parse_argstring

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
        args = parse_argstring(self.zen_flows, line)
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
        args = parse_argstring(self.zen_sandbox, line)
        from . import local_sandbox

        if args.action == "start":
            env, what = local_sandbox.find_or_start()
            os.environ.update(env)
            print(f"Zen Mesh sandbox: {what}; ZEN_* are set in this kernel (token not shown).")
        elif args.action == "stop":
            print(local_sandbox.stop())
        else:
            print(local_sandbox.status())


def _no_arguments(name: str, line: str) -> None:
    if line.strip():
        raise UsageError(f"{name} takes no arguments (got {line.strip()!r})")
