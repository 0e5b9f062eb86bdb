"""The script a language code promises, whatever script Whisper wrote.

Whisper writes Mandarin in Traditional or Simplified characters as its training data did;
Speechmatics' ``cmn`` is Simplified. OpenCC converts (``t2s``: phrase-aware, so 乾燥 and 幹部
become 干燥 and 干部); ``yue`` is Traditional (``s2hk``). Other codes are written as Whisper
writes them; docs/compatibility.md says what each gives (``make benchmark-scripts``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable

# Speechmatics code: the OpenCC configuration that gives its script. Cantonese is decoded as
# Chinese (``config.TO_WHISPER``) and written in Traditional characters, as Hong Kong writes it.
CONVERSIONS = {"cmn": "t2s", "yue": "s2hk"}


@functools.cache
def _converter(config: str) -> Callable[[str], str]:
    import opencc

    convert: Callable[[str], str] = opencc.OpenCC(config).convert
    return convert


def in_script(text: str, language: str | None) -> str:
    """``text`` in the script ``language`` is written in by Speechmatics."""
    config = CONVERSIONS.get(language or "")
    if config is None or not text or text.isascii():
        return text
    return _converter(config)(text)
