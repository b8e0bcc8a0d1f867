"""``crawler api``: the HTTP API for downstream systems (FastAPI app in ``app``, tokens in ``auth``)."""

from crawler.api.app import create_app
from crawler.api.auth import TokenError, TokenSet, load_tokens

__all__ = ["TokenError", "TokenSet", "create_app", "load_tokens"]
