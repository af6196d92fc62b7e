"""Analysis utilities (representation analyses, cost benchmarks).

Modules are imported explicitly (``from sgmim.analysis import benchmark``):
``import sgmim`` does not import them.
"""
