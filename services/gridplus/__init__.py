"""Grid+ (网格化+): the platform kit, the five services and their generated API code."""
