"""goldenpath-greeting: the greeting the goldenpath sample apps answer with."""

__version__ = "1.0.0"


def greeting(app: str) -> str:
    """The body a goldenpath sample answers GET / with."""
    return f"hello from goldenpath {app} app"
