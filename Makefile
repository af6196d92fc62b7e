# sgmim: set-up, data, demo and tests. Everything runs in the project venv.
VENV ?= .venv
PY := $(VENV)/bin/python
DATA ?= data/synthscenes
SEED ?= 0
STAMP := $(VENV)/.sgmim-installed
PYTEST_ARGS ?=

.PHONY: install data demo test clean

install: $(STAMP)

$(STAMP): setup.py constraints.txt requirements/*.txt tools/install/install_env.sh
	bash tools/install/install_env.sh $(VENV)
	touch $@

$(DATA)/synthscenes.json: | $(STAMP)
	$(PY) -m sgmim.datasets.synthscenes --out $(DATA) --seed $(SEED)

data: $(DATA)/synthscenes.json

demo: $(STAMP) data
	$(PY) tools/demo.py --work-dir work_dirs/demo

test: $(STAMP)
	$(PY) -m pytest tests $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) work_dirs build projects/*.egg-info
