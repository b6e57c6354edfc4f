"""Commands that belong to no single domain. Domains list theirs in <domain>/commands.py."""

from marketplace.ops.commands import COMMANDS as OPS_COMMANDS

COMMANDS: list = [*OPS_COMMANDS]
