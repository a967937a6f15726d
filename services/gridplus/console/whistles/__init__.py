"""Whistles (吹哨报到): a grid blows one naming departments; everyone sees who reported and who is
late; department staff report for their department."""

from gridplus.console.whistles.routes import blueprint

__all__ = ["blueprint"]
