"""Handlers for the events evaluation consumes."""
