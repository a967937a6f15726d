"""grid-registry's use cases, one module per group; they call domain/ and storage/ (which does
every query) and never build protobuf messages themselves (api/convert.py does):

- snapshots: the grid set and reference data a server holds in memory, refreshed when a newer
  version is stored;
- grids: locating points, one grid, listings (in memory);
- directory: members of a grid and the organisation chain, contacts as the caller may see them;
- imports: a grid set (gridctl import) or the NYC demo city (load-demo) as a new version;
- reference: the taxonomy, departments and responsibility rules, and their re-sync from seed/.
"""
