from gridplus.kit.migrations import run_env
from gridplus.kit.tables import kit_metadata

run_env(kit_metadata)
