"""Pure grid geometry domain: grid hierarchy, GeoJSON layers, point location, demo organisation."""
