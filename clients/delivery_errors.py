class PermanentDeliveryError(Exception):
    """Trying again will not help (the address is refused, the message is malformed)."""


class TransientDeliveryError(Exception):
    """The provider could not take the message now; a later attempt may succeed."""


class OutcomeUnknownError(TransientDeliveryError):
    """The provider stopped answering after the message was handed over: it may have taken
    it. Kinds that must never arrive twice (nudges) record the outcome as unknown; the others
    try again."""
