"""The `storelens` command line: the contract's commands over the engine, one module per command group, heavy
imports inside the handlers so a command pays only for what it runs."""

from ._main import main

__all__ = ["main"]
