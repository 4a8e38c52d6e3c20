"""churnguard: measure churn, know who matters, warn early, know why, act."""

from churnguard.errors import ChurnguardError
from churnguard.workspace import Workspace

__version__ = "0.1.0"
__all__ = ["ChurnguardError", "Workspace", "__version__"]
