"""WeChat Official Account: the API client (`client`) and a faithful local stand-in (`sandbox`)."""

from .client import PublishFailed, PublishTimeout, WeChatClient
from .images import prepare_image

__all__ = ["PublishFailed", "PublishTimeout", "WeChatClient", "prepare_image"]
