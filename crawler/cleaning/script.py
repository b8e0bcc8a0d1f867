"""``script_fragment``: script, state or template code rendered as a line of text.

Decided by the shape of the line, not by its words: code signatures (an assignment to a
``window``/``var``/``const`` name at the start, a JSON object opening with a quoted key,
``function(``, arrow functions, ``});``, template tags such as ``{{#items}}``) or a line with braces
whose characters are dominated by code punctuation. Prose has no braces; a formula such as
"c = 1,04; m = 6,3" or an arrow used as a bullet ("=> Wie geht es weiter?") has no signature.
"""

from __future__ import annotations

import re

_SIGNATURE = re.compile(
    r"^\s*(?:var|let|const|window|document|self|this|globalThis)\b[\w$.\[\]'\"]*\s*=(?!=)|"  # assignment
    r"^\s*[\[{]\s*\"[@\w$.:-]+\"\s*:|"  # a JSON object opening with a quoted key
    r"\bfunction\s*[\w$]*\s*\([^()]*\)\s*\{|\b(?:if|for|while|switch)\s*\([^()]*(?:\([^()]*\)[^()]*)*\)\s*\{|"
    r"(?:^|\})\s*[.#@]?[\w-]+[\w\s>+~.#:-]*\{\s*[\w-]+\s*:[^{};]+[;}]|"  # CSS: .box{margin:0}
    r"\)\s*=>\s*[{(]|\b[\w$]+\s*=>\s*[{(]|"  # arrow functions
    r"\}\s*\)\s*[(;]|\}\s*;\s*$|"  # })(  });  };
    r"^\s*\{\{\{?\s*[#/^>!&]?\s*[\w.$-]*\s*\}?\}\}\s*$|"  # a template tag alone: {{#items}} {{{text}}}
    r"\b(?:document|window)\.(?:getElementById|querySelector\w*|createElement|addEventListener|location|"
    r"dataLayer|write)\b|"
    r"\b[\w$]+\.push\(\s*[\[{]|__[A-Z][A-Z_]+__\b")
# Every alternative of _SIGNATURE needs one of these in the line (change them together; checked on
# every line of the evaluation texts by ``eval/test_rule_prefilters.py``): prose lines have none, and
# these substring tests cost a fraction of the search.
SIGNATURE_NEEDS = ("=", "{", "}", "[", "__", "document.", "window.")
_CODE_CHARS = re.compile(r"[{}\[\]();=<>\"'`:,|&$\\]")
_LETTERS = re.compile(r"[^\W\d_]")


def is_script_fragment(line: str) -> bool:
    """The line looks like script, state or template code, not text."""
    if not any(s in line for s in SIGNATURE_NEEDS):
        return False  # no signature, and no braces
    if _SIGNATURE.search(line):
        return True
    if "{" not in line and "}" not in line:
        return False
    code = len(_CODE_CHARS.findall(line))
    letters = len(_LETTERS.findall(line)) or 1
    return len(line) >= 8 and code / len(line) >= 0.15 and code / letters >= 0.25


def script_fragments(lines: list[str]) -> dict[int, str]:
    return {i: "script_fragment" for i, ln in enumerate(lines) if is_script_fragment(ln)}
