import socket

import torch.distributed as dist

from sgmim.utils.run_config import leave_distributed


def _free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def test_leave_distributed_destroys_the_group():
    leave_distributed()  # no group: nothing to do
    assert not dist.is_initialized()
    dist.init_process_group('gloo', init_method=f'tcp://127.0.0.1:'
                            f'{_free_port()}', rank=0, world_size=1)
    try:
        assert dist.is_initialized()
        leave_distributed()
        assert not dist.is_initialized()
    finally:
        if dist.is_initialized():
            dist.destroy_process_group()
