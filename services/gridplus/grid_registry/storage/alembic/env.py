from gridplus.grid_registry.storage.models import Base
from gridplus.kit.migrations import run_env

run_env(Base.metadata)
