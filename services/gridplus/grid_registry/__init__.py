"""grid-registry: grids and polygons, hierarchy, organisation chain, departments."""
