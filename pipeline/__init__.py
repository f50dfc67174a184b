"""wxpub: a bank's WeChat Official Account publishing pipeline, driven by git.

The library does the work; `pipeline.cli` is a thin skin over it.
"""

__version__ = "0.1.0"
