"""Representation analyses of trained encoders: attention statistics, CKA,
singular-value spectra, Fourier ΔLog amplitude, masked-token heterogeneity,
RAUC and epochs to target, with the feature capture, model loading, image
batches, atomic outputs and figures the tools under ``tools/analysis_tools/``
share.

The measures are pure tensor functions, exported here::

    from sgmim.analysis import linear_cka, MinibatchCKA, rauc

``import sgmim`` does not import this package. Training-cost benchmarks live in
``sgmim.benchmarking``, the SynthScenes studies in ``sgmim.studies``.
"""
from .attention import (attention_distance, attention_entropy,
                        head_kl_divergence, large_kernel_heads)
from .attention_capture import AttentionCapture, default_attention_layers
from .cka import MinibatchCKA, linear_cka, unbiased_hsic
from .features import FeatureCapture, TokenFeatures, default_layers
from .fourier import fourier_delta_log_amplitude, half_diagonal_frequencies
from .heterogeneity import (TokenSplit, masked_token_heterogeneity,
                            split_heterogeneity, split_on_token_grid,
                            split_tokens_by_mask, token_affinity, token_split)
from .relative_auc import epochs_to_target, rauc
from .spectrum import (CovarianceAccumulator, log_spectrum_gap,
                       singular_value_spectrum)

__all__ = [
    'AttentionCapture', 'CovarianceAccumulator', 'FeatureCapture',
    'MinibatchCKA', 'TokenFeatures', 'TokenSplit', 'attention_distance',
    'attention_entropy', 'default_attention_layers', 'default_layers',
    'epochs_to_target', 'fourier_delta_log_amplitude',
    'half_diagonal_frequencies', 'head_kl_divergence', 'large_kernel_heads',
    'linear_cka', 'log_spectrum_gap', 'masked_token_heterogeneity', 'rauc',
    'singular_value_spectrum', 'split_heterogeneity', 'split_on_token_grid',
    'split_tokens_by_mask', 'token_affinity', 'token_split', 'unbiased_hsic'
]
