"""Training-cost measurement (time and memory per iteration of pre-training
recipes), behind ``tools/analysis_tools/benchmark_pretrain.py``.

Imported explicitly (``from sgmim.benchmarking import benchmark``):
``import sgmim`` does not import it.
"""
