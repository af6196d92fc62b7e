"""Representation analyses of trained encoders: attention statistics, CKA,
singular-value spectra, Fourier ΔLog amplitude, masked-token heterogeneity
and RAUC, with the feature capture, model loading, image batches, atomic
outputs and figures the tools under ``tools/analysis_tools/`` share.

Modules are imported explicitly (``from sgmim.analysis import cka``):
``import sgmim`` does not import them. Training-cost benchmarks live in
``sgmim.benchmarking``, the SynthScenes studies in ``sgmim.studies``.
"""
