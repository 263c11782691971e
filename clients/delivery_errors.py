class PermanentDeliveryError(Exception):
    """Trying again will not help (the address is refused, the message is malformed)."""


class TransientDeliveryError(Exception):
    """The provider could not take the message now; a later attempt may succeed."""
