from .algorithms import *  # noqa: F401,F403
from .backbones import *  # noqa: F401,F403
from .depth import *  # noqa: F401,F403
from . import geometry  # noqa: F401  (functions only: nothing to register)
from .heads import *  # noqa: F401,F403
from .losses import *  # noqa: F401,F403
from .necks import *  # noqa: F401,F403
from .utils import OptionalPretrainedInit  # noqa: F401
from .vitdet import *  # noqa: F401,F403
