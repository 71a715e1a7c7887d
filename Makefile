# The two commands a newcomer runs on a fresh Debian machine:
#   make demo   set up (.venv, Debian packages) and run the main job
#   make test   set up and run the whole test suite
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
DEB_PACKAGES := graphviz fonts-wqy-microhei

.PHONY: setup deb venv demo test bench lint clean

setup: deb venv

# Debian packages: graphviz's `dot` and a CJK font for Chinese labels (without one,
# Graphviz silently draws boxes for Chinese).
deb:
	@missing=""; for p in $(DEB_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	$(PYTHON) -c "import venv, ensurepip" >/dev/null 2>&1 || missing="$$missing python3-venv"; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[dev]"
	touch $@

venv: $(VENV)/.installed

demo: setup
	$(PY) -m sfd_workflow.demo

test: setup
	$(PY) -m pytest -p no:cacheprovider

bench: setup
	$(PY) bench/run.py

lint: venv
	$(PY) -m ruff check src tests bench
	$(PY) -m mypy

clean:
	rm -rf $(VENV) build dist .pytest_cache .hypothesis
