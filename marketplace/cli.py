"""Commands that belong to no single domain. Domains list theirs in <domain>/commands.py."""

COMMANDS: list = []
