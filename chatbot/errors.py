"""Errors users see: each message is one plain sentence saying what is wrong and how to fix it."""


class ChatbotError(Exception):
    """A problem the user can fix; str(error) is the whole message."""


class IndexUnusableError(ChatbotError):
    """The index cannot be used; `reason` says why in a few words (without the fix), for reports."""

    def __init__(self, message: str, reason: str):
        super().__init__(message)
        self.reason = reason


class IndexMissingError(IndexUnusableError):
    pass


class IndexMismatchError(IndexUnusableError):
    """Built with other settings (embedding model, chunker, format): a rebuild fixes it."""


class IndexDamagedError(IndexUnusableError):
    """Files missing, truncated or inconsistent: a rebuild fixes it."""


class EngineUnavailableError(ChatbotError):
    """The language model cannot answer now (a model server down, too slow, or broken): not the user's question."""


class IndexUnavailableError(ChatbotError):
    """The index's server (Milvus) cannot be reached or used now: not the user's question, nor a damaged index."""


class NoDocumentsError(ChatbotError):
    """The collection's folder holds no document that can be read (an empty collection is no index yet)."""
