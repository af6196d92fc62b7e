from .depth_file_list import *  # noqa: F401,F403
from .ibims import *  # noqa: F401,F403
from .ibims_files import *  # noqa: F401,F403
from .kitti_depth import *  # noqa: F401,F403
from .nyu_sync_depth import *  # noqa: F401,F403
from .paired_dataset import *  # noqa: F401,F403
from .samplers import *  # noqa: F401,F403
from .transforms import *  # noqa: F401,F403
