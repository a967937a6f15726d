from gridplus.kit.migrations import run_env
from gridplus.petition.storage.models import Base

run_env(Base.metadata)
