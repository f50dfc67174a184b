"""WeChat Official Account: the API client (`client`) and a faithful local stand-in (`sandbox`)."""

from .client import PublishFailed, PublishTimeout, RetriesExhausted, WeChatClient
from .images import prepare_image

__all__ = ["PublishFailed", "PublishTimeout", "RetriesExhausted", "WeChatClient", "prepare_image"]
