"""Bulletins (辖区大事要闻): a chief or an admin tells a grid subtree, and follows each bulletin's
delivery progress."""

from gridplus.console.bulletins.routes import blueprint

__all__ = ["blueprint"]
