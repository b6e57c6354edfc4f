"""Operations: health checks, structured logs, request ids, database backups.

Not a page domain: nothing here is served under /<locale>/. ``marketplace.web`` registers the
health blueprint and the logging hooks; ``marketplace.cli`` lists the backup commands.
"""
