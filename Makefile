# sgmim: set-up, data, demo, study and tests. Everything runs in the project venv.
VENV ?= .venv
PY := $(VENV)/bin/python
DATA ?= data/synthscenes
SEED ?= 0
STAMP := $(VENV)/.sgmim-installed
PYTEST_ARGS ?=
# Test files run in parallel, one per core (pytest-xdist; -n 0 runs them in
# this process, e.g. make test PYTEST_WORKERS=0 PYTEST_ARGS=-x).
PYTEST_WORKERS ?= 2
STUDY ?= configs/synth/studies/sgmim_vs_simmim.py
STUDY_ARGS ?=
DEMO_ARGS ?=

.PHONY: install data demo study test clean

install: $(STAMP)

$(STAMP): setup.py constraints.txt requirements/*.txt tools/install/install_env.sh
	bash tools/install/install_env.sh $(VENV)
	touch $@

$(DATA)/synthscenes.json: | $(STAMP)
	$(PY) -m sgmim.datasets.synthscenes --out $(DATA) --seed $(SEED)

data: $(DATA)/synthscenes.json

# One torch thread per run: beside two dataloader workers, more threads
# oversubscribe two cores and train the synth configs 2-4x slower.
# make demo DEMO_ARGS=--with-lut   adds MAE vs LUT (ViT-nano, classification)
demo: $(STAMP) data
	OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 $(PY) tools/demo.py --work-dir work_dirs/demo $(DEMO_ARGS)

# Seeded study on its own SynthScenes set (resumable: finished runs are
# reused; about 35 minutes on 2 cores), e.g.
# make study STUDY_ARGS="--seeds 0 --cfg-options transfer_cfg_options.train_cfg.max_iters=20"
study: $(STAMP)
	$(PY) tools/analysis_tools/synth_study.py $(STUDY) --work-dir work_dirs/study --out docs/study.md --torch-threads 1 $(STUDY_ARGS)

test: $(STAMP)
	OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 $(PY) -m pytest tests -n $(PYTEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) work_dirs build projects/*.egg-info
