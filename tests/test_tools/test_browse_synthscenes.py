import cv2
from tool_helpers import run_tool


def test_grid_png_is_written(synth_workspace, tmp_path):
    out = tmp_path / 'grid.png'
    run_tool('analysis_tools/browse_synthscenes.py',
             synth_workspace / 'data' / 'synthscenes', '--subset', 'ade',
             '--split', 'validation', '--num', '2', '--out', out,
             cwd=tmp_path)
    image = cv2.imread(str(out))
    assert image is not None and image.shape[0] > 200 and image.shape[1] > 800


def test_missing_manifest_is_named(tmp_path):
    proc = run_tool('analysis_tools/browse_synthscenes.py', tmp_path,
                    cwd=tmp_path, check=False)
    assert proc.returncode != 0
    assert f'{tmp_path}/synthscenes.json not found' in proc.stderr
