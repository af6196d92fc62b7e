"""``compile``: the model's forward through torch.compile, compiled once."""
import copy

import pytest
import torch
import torch._dynamo
from mmengine.config import Config
from tool_helpers import CONFIGS

from sgmim.benchmarking.benchmark import (build_model, build_optim_wrapper,
                                          config_batch)
from sgmim.engine.runners import compile_model, compile_options
from sgmim.utils.run_config import build_runner

SYNTH = {
    'simmim': CONFIGS / 'synth/simmim_swin-nano-w3_1xb16-coslr-20e_'
    'synthscenes-96px.py',
    'sgmim': CONFIGS / 'synth/sgmim_swin-nano-w3_1xb16-coslr-20e_'
    'synthscenes-96px.py',
}
ITERS = 20


@pytest.fixture
def fresh_dynamo():
    """Compiled code is cached per code object across models: start and
    end each test with none, so each counts its own compilations."""
    torch._dynamo.reset()
    yield
    torch._dynamo.reset()


def counting_backend(graphs):
    """A dynamo backend that runs each captured graph as traced (the
    eager kernels, so the losses can be compared exactly) and records it."""
    def backend(graph_module, example_inputs):
        graphs.append(graph_module)
        return graph_module.forward
    return backend


def train_step(model, optim_wrapper, batch, seed):
    """The runner's iteration after data pre-processing: the model called
    as mmengine's ``BaseModel._run_forward`` calls it, the loss sum,
    backward, step (from the random state ``seed``: drop path)."""
    inputs, samples = batch
    torch.manual_seed(seed)
    with optim_wrapper.optim_context(model):
        losses = model(inputs, samples, mode='loss')
    loss, _ = model.parse_losses(losses)
    optim_wrapper.update_params(loss)
    return {name: value.item() for name, value in losses.items()}


@pytest.mark.parametrize('name', sorted(SYNTH))
def test_compiled_forward_trains_as_eager_and_compiles_once(fresh_dynamo,
                                                            name):
    """Over 20 iterations (a new batch, new masks, each) the compiled model
    gives the eager model's losses, and compiles in the first iteration
    only: SG-MIM's sparse structure branch, whose token counts are read
    back from the device, has the same shapes in every batch."""
    torch.manual_seed(0)
    eager, cfg = build_model(str(SYNTH[name]))
    if name == 'sgmim':
        assert eager.sparse_structure_branch
    compiled = copy.deepcopy(eager)
    graphs = []
    assert compile_model(compiled, dict(backend=counting_backend(graphs)))
    runs = [(eager, build_optim_wrapper(eager, cfg)),
            (compiled, build_optim_wrapper(compiled, cfg))]
    for it in range(ITERS):
        batch = config_batch(cfg, 2, seed=it)
        want, got = (train_step(model, wrapper, batch, it)
                     for model, wrapper in runs)
        assert got.keys() == want.keys()
        for key in want:
            assert got[key] == pytest.approx(want[key], rel=1e-5, abs=1e-7)
        if it == 0:
            first = len(graphs)
            assert first > 0
    assert len(graphs) == first
    assert compiled.state_dict().keys() == eager.state_dict().keys()


def test_compile_options():
    assert compile_options(None) is None
    assert compile_options(False) is None
    assert compile_options(True) == {}
    assert compile_options(dict(backend='eager', dynamic=False)) == dict(
        backend='eager', dynamic=False)
    with pytest.raises(KeyError, match=r'compile\.backed is not a '
                       r'torch\.compile keyword; choose from .*backend'):
        compile_options(dict(backed='eager'))
    with pytest.raises(TypeError, match="compile must be a bool or a dict"):
        compile_options('inductor')


def test_off_leaves_the_model_eager():
    model = torch.nn.Linear(2, 2)
    assert not compile_model(model, False)
    assert model._compiled_call_impl is None


def test_misspelt_compile_key_is_named_before_the_run(tmp_path):
    cfg = Config.fromfile(str(SYNTH['simmim']))
    cfg.work_dir = str(tmp_path)
    cfg.compile = dict(backed='eager')
    with pytest.raises(KeyError, match=r'compile\.backed is not a '
                       r'torch\.compile keyword'):
        build_runner(cfg)


def test_runner_that_would_compile_train_step_is_refused(tmp_path):
    cfg = Config.fromfile(str(SYNTH['simmim']))
    cfg.work_dir = str(tmp_path)
    cfg.runner_type = 'Runner'
    cfg.compile = True
    with pytest.raises(ValueError, match="compile needs a runner derived "
                       "from LRScalingRunner; runner_type='Runner'"):
        build_runner(cfg)
