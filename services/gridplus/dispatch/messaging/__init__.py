"""Handlers for the events dispatch consumes."""
