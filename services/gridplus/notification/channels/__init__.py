"""Channels: one adapter per real protocol behind one interface (base.ChannelAdapter)."""
