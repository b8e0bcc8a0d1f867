"""Token authentication of the API: ``Authorization: Bearer <token>``.

Tokens come from ``$CRAWLER_API_TOKENS`` (comma- or whitespace-separated) and/or a file
(``--tokens-file`` or ``$CRAWLER_API_TOKENS_FILE``: one token per line, ``#`` comments). Only
SHA-256 digests are kept in memory and compared in constant time; tokens are never logged (the
access log has method, path and status; tokens are not accepted in the query string, where the
log would show them).
"""

from __future__ import annotations

import hashlib
import hmac
import os
from pathlib import Path

TOKENS_ENV = "CRAWLER_API_TOKENS"
TOKENS_FILE_ENV = "CRAWLER_API_TOKENS_FILE"
MIN_LENGTH = 16


class TokenError(ValueError):
    """No usable token configured (a one-line message for the operator)."""


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode("utf-8")).digest()


class TokenSet:
    def __init__(self, tokens: list[str]):
        self._digests = [_digest(t) for t in tokens]

    def __len__(self) -> int:
        return len(self._digests)

    def accepts(self, token: str | None) -> bool:
        if not token:
            return False
        d = _digest(token)
        ok = False
        for known in self._digests:  # no early exit: the time does not tell which one matched
            ok |= hmac.compare_digest(d, known)
        return ok


def load_tokens(tokens_file: str | None = None, environ=os.environ) -> TokenSet:
    tokens: list[str] = []
    tokens += environ.get(TOKENS_ENV, "").replace(",", " ").split()
    path = tokens_file or environ.get(TOKENS_FILE_ENV)
    if path:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise TokenError(f"cannot read the tokens file {path}: {exc.strerror}") from None
        tokens += [line.split("#", 1)[0].strip() for line in text.splitlines()]
    tokens = [t for t in tokens if t]
    if not tokens:
        raise TokenError(f"no API token configured: set ${TOKENS_ENV} or give --tokens-file FILE "
                         f"(one token per line, e.g. from `python3 -c 'import secrets; print(secrets.token_urlsafe(32))'`)")
    short = [t for t in tokens if len(t) < MIN_LENGTH]
    if short:
        raise TokenError(f"{len(short)} API token(s) shorter than {MIN_LENGTH} characters: use long random tokens")
    return TokenSet(tokens)
