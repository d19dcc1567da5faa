"""Text from outside made storable."""


def storable(text: str) -> str:
    """``text`` with NUL characters replaced by U+FFFD: PostgreSQL cannot store NUL, and a
    message must be kept rather than refused for one bad byte."""
    return text.replace("\x00", "\ufffd") if "\x00" in text else text
