"""The one error type users see: its message is a plain sentence saying what is wrong and how to fix it."""


class ChatbotError(Exception):
    """A problem the user can fix; str(error) is the whole message."""
