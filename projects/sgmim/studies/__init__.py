"""SynthScenes studies: pre-training × transfer × seed grids run as tool
subprocesses (``study``) and their paired statistics (``study_stats``),
behind ``tools/analysis_tools/synth_study.py`` and ``tools/demo.py``.

Imported explicitly (``from sgmim.studies import study``): ``import sgmim``
does not import them.
"""
