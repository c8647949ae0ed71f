"""What can go wrong, each with its exit status (docs in README.md)."""


class BotError(Exception):
    status = 1

    def __init__(self, message, **kw):
        super().__init__(message)
        self.message = message
        for k, v in kw.items():
            if hasattr(self, k):
                raise TypeError("%s would hide an attribute" % k)
            setattr(self, k, v)


class Usage(BotError):
    """Bad command line, link, key or credentials file."""
    status = 1


class Refused(BotError):
    """The server would not let us in: full, banned, private, no such room."""
    status = 2


class Undecryptable(BotError):
    """Media arrived and nothing of it decrypts with the link's key."""
    status = 3


class Network(BotError):
    """The server or its media server cannot be reached, or failed."""
    status = 4


class NobodyListening(BotError):
    """say: nobody subscribed to the announcement."""
    status = 5


class Removed(BotError):
    """The server or a moderator removed the bot from the room."""
    status = 6
