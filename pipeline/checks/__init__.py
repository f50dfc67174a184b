"""The compliance checker: one module per rule family; importing this package registers them all.

- `text`: the scanning engine (scope, normalised shadow text, offsets back to index.md)
- `lexicon`: the bank's term lists (`policy/lexicons/`), one Aho-Corasick automaton
- `forbidden`: Art. 14 (1)-(8)          - `adlaw`: Advertising Law 9(3), 11
- `finance`: product-aware marketing     - `pii`: personal data, Art. 17 markers
- `copyright`: Art. 14(6) image sources  - `brand`: Art. 4, 5 names and accounts
- `wechat`: cover aspect, body images, links
- `frames`: warnings, negations and citations around claim hits (a post filter)
- `exceptions`: documented `allow` exceptions (a post filter)
"""

from __future__ import annotations

from . import adlaw, brand, copyright, finance, forbidden, metadata, pii, wechat
from . import credentials as credentials
from . import exceptions as exceptions
from . import frames as frames

__all__ = ["adlaw", "brand", "copyright", "exceptions", "finance", "forbidden", "metadata", "pii", "wechat"]
