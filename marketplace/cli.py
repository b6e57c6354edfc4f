"""Commands that belong to no single domain. Domains list theirs in <domain>/commands.py."""

from marketplace.mail import mail_cli
from marketplace.object_storage import media_cli
from marketplace.ops.commands import COMMANDS as OPS_COMMANDS

COMMANDS: list = [*OPS_COMMANDS, mail_cli, media_cli]
