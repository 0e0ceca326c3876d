"""Distributed data parallel on this CPU machine: two ranks on gloo through the users' tools,
``tools/train.py --launcher pytorch`` and ``tools/test.py --launcher pytorch``, started by
torchrun.

MMEngine's ``init_dist`` calls ``torch.cuda.set_device``, and its default DDP wrapper passes
the local rank as a CUDA device id. Here, and only here, a launcher script written into the
test's folder makes ``torch.cuda.set_device`` a no-op, and the config gives the wrapper no
device ids and the process group the gloo backend; everything else is the product as users
run it. The launcher also saves each rank's model after training, to compare the ranks.
"""

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import List, Optional

import pytest
import torch
import torch.distributed as dist

import h3r_mmpose  # noqa: F401  (allow-lists the checkpoint's types for torch.load)

ROOT = Path(__file__).resolve().parents[2]
TINY_WFLW = ROOT / 'tests' / 'data' / 'tiny_h3r_wflw.py'
NUM_RANKS = 2
#: A bound on each torchrun: both ranks import the stack, train two iterations, validate.
TIMEOUT_S = 300

#: Run ``tools/<tool>.py`` in this rank's process without a CUDA device; after a training
#: run, save the rank's unwrapped model and its losses' target sigma to STATE_DIR.
LAUNCHER = '''
"""Usage: launcher.py STATE_DIR TOOL.py [TOOL ARGS] (test only, one process per rank)."""
import os
import runpy
import sys

import torch
from mmengine.model import is_model_wrapper
from mmengine.runner import Runner

torch.cuda.set_device = lambda device: None  # init_dist's call; the ranks run on the CPU

state_dir = sys.argv.pop(1)
train = Runner.train


def train_and_save(runner):
    model = train(runner)
    module = runner.model.module if is_model_wrapper(runner.model) else runner.model
    sigmas = [m.target_sigma for m in module.head.modules() if hasattr(m, 'target_sigma')]
    state = dict(state_dict=module.state_dict(), target_sigmas=sigmas)
    torch.save(state, os.path.join(state_dir, f'rank{os.environ["RANK"]}.pth'))
    return model


Runner.train = train_and_save
sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name='__main__')
'''

#: The tiny WFLW model for two CPU ranks. HRNet's BatchNorm becomes GroupNorm and the head
#: keeps only its final layer (whose BatchNorm cannot be configured): BatchNorm's running
#: statistics are per rank under DDP (each rank averages its own batches; torch's
#: SyncBatchNorm needs a GPU), so each rank's in-run validation would use other statistics
#: than the rank-0 checkpoint holds. GroupNorm keeps none, so the validation depends on the
#: parameters alone, which DDP keeps identical.
CONFIG = """
_base_ = [{base!r}]
env_cfg = dict(dist_cfg=dict(backend='gloo'))
model_wrapper_cfg = dict(type='MMDistributedDataParallel', device_ids=None)
model = dict(
    backbone=dict(norm_cfg=dict(type='GN', num_groups=4)),
    head=dict(conv_out_channels=None, conv_kernel_sizes=None),
)
train_cfg = dict(max_iters=2, val_interval=2)
default_hooks = dict(checkpoint=dict(interval=2), logger=dict(interval=1))
custom_hooks = [dict(type='TargetSigmaAnnealingHook', start_sigma=2.0, end_sigma=0.5)]
"""


def unavailable() -> Optional[str]:
    """Why two gloo ranks cannot start here, or None when they can."""
    if not dist.is_available():
        return 'torch is built without torch.distributed'
    if not dist.is_gloo_available():
        return 'torch has no gloo backend'
    if importlib.util.find_spec('torch.distributed.run') is None:
        return 'torchrun (torch.distributed.run) is not installed'
    return None


pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(unavailable() is not None, reason=str(unavailable())),
]


def torchrun(launcher: Path, state_dir: Path, tool: str, *args: str) -> None:
    """Run ``tools/<tool>.py ARGS`` on :data:`NUM_RANKS` local ranks through ``launcher``;
    fail with the output's end if it fails."""
    command: List[str] = [
        sys.executable,
        '-m',
        'torch.distributed.run',
        '--standalone',
        f'--nproc_per_node={NUM_RANKS}',
        str(launcher),
        str(state_dir),
        f'tools/{tool}.py',
        *args,
        '--launcher',
        'pytorch',
    ]
    # One torch thread per rank: two ranks share this machine's cores.
    env = dict(os.environ, OMP_NUM_THREADS='1')
    result = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=TIMEOUT_S
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, f'{tool} on {NUM_RANKS} ranks failed:\n{output[-5000:]}'


@pytest.fixture(scope='module')
def ddp_run(tmp_path_factory, samples_dir) -> dict:
    """Two iterations on two ranks, validated in the run; then the rank-0 checkpoint tested
    on two ranks with a leaderboard row."""
    tmp = tmp_path_factory.mktemp('ddp')
    launcher = tmp / 'launcher.py'
    launcher.write_text(LAUNCHER)
    config = tmp / 'tiny_h3r_wflw_ddp.py'
    config.write_text(CONFIG.format(base=str(TINY_WFLW)))
    data_root = f'{samples_dir / "wflw"}/'
    data = [
        f'{split}_dataloader.dataset.data_root={data_root}' for split in ('train', 'val', 'test')
    ]
    state_dir = tmp / 'states'
    state_dir.mkdir()
    work_dir, test_dir = tmp / 'train', tmp / 'test'
    rows = tmp / 'leaderboard.jsonl'
    torchrun(
        launcher,
        state_dir,
        'train',
        str(config),
        '--work-dir',
        str(work_dir),
        '--cfg-options',
        *data,
    )
    checkpoint = work_dir / 'iter_2.pth'
    torchrun(
        launcher,
        state_dir,
        'test',
        str(config),
        str(checkpoint),
        '--work-dir',
        str(test_dir),
        '--leaderboard',
        str(rows),
        '--cfg-options',
        *data,
    )
    return dict(
        work_dir=work_dir,
        test_dir=test_dir,
        checkpoint=checkpoint,
        states=[torch.load(state_dir / f'rank{r}.pth') for r in range(NUM_RANKS)],
        rows=rows,
    )


def test_ranks_end_with_identical_models_and_the_annealed_target(ddp_run):
    first, second = (state['state_dict'] for state in ddp_run['states'])
    assert first.keys() == second.keys() and len(first) > 0
    different = [name for name in first if not torch.equal(first[name], second[name])]
    assert different == []
    # The annealing hook found the loss inside the DDP wrapper on every rank: end_sigma at
    # the last of the two iterations.
    assert [state['target_sigmas'] for state in ddp_run['states']] == [[0.5]] * NUM_RANKS


def test_rank_zero_checkpoint_holds_the_trained_model(ddp_run):
    checkpoint = torch.load(ddp_run['checkpoint'], map_location='cpu')
    trained = ddp_run['states'][0]['state_dict']
    assert checkpoint['state_dict'].keys() == trained.keys()  # unwrapped: no 'module.'
    for name, value in trained.items():
        assert torch.equal(checkpoint['state_dict'][name], value), name
    # Two optimizer steps happened: identical ranks mean the gradients were averaged.
    steps = {float(s['step']) for s in checkpoint['optimizer']['state'].values()}
    assert steps == {2.0}


def test_one_log_and_one_checkpoint_per_run(ddp_run):
    work_dir = ddp_run['work_dir']
    # The periodic checkpoint and the stock config's save_best='NME', each written once.
    assert sorted(p.name for p in work_dir.glob('*.pth')) == ['best_NME_iter_2.pth', 'iter_2.pth']
    (run_dir,) = [p for p in work_dir.iterdir() if p.is_dir()]
    assert len(list(run_dir.glob('*.log'))) == 1
    assert len(list(run_dir.glob('vis_data/*scalars.json'))) == 1
    (test_run_dir,) = [p for p in ddp_run['test_dir'].iterdir() if p.is_dir()]
    assert len(list(test_run_dir.glob('*.log'))) == 1


def test_one_leaderboard_row_with_the_in_run_validation_metrics(ddp_run):
    (row,) = [json.loads(line) for line in ddp_run['rows'].read_text().splitlines()]
    (scalars,) = ddp_run['work_dir'].glob('*/vis_data/scalars.json')
    records = [json.loads(line) for line in scalars.read_text().splitlines()]
    (validation,) = [r for r in records if 'NME' in r]
    metrics = row['metrics']
    # NME, the face metric and the floor metric, each computed once over both ranks' samples.
    assert {'NME', 'face/NME_percent', 'floor/error_px', 'floor/face/NME_percent'} <= set(metrics)
    assert metrics['floor/num_skipped'] == 0
    # The same model and the same split of the samples over the ranks: the same figures.
    assert {key: validation[key] for key in metrics} == metrics
