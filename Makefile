# wgnet.wireguard developer entry points. Every target installs what it needs
# on a fresh Debian 12 machine (run as root).
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

ROOT := $(CURDIR)
VENV := $(ROOT)/.venv
PY := $(VENV)/bin/python
COLLECTION_LINK := $(ROOT)/build/collections/ansible_collections/wgnet/wireguard
SANITY_ROOT := $(ROOT)/build/sanity/ansible_collections/wgnet/wireguard
APT_PACKAGES := podman runc mmdebstrap uidmap shellcheck busybox qrencode zbar-tools nftables wireguard-tools

export PATH := $(VENV)/bin:$(PATH)
export CONTAINERS_CONF := $(ROOT)/lab/containers.conf
export ANSIBLE_CONFIG := $(ROOT)/ansible.cfg
export ANSIBLE_COLLECTIONS_PATH := $(ROOT)/build/collections
export ANSIBLE_FORCE_COLOR := 0
export PY_COLORS := 0

.PHONY: help deps venv collection image lab lab-up lab-destroy lab-fleet lab-fleet-destroy test units sanity lint openwrt-emu molecule clean

help:
	@echo "make lab          build the lab, run playbooks/site.yml against it, print the pair table and verify.yml's matrix"
	@echo "make lab-destroy  remove the lab containers and networks"
	@echo "make lab-fleet FLEET=30  bring up a generated lab of 2 hubs and FLEET spokes (see docs/lab.md)"
	@echo "make test         unit tests, ansible-test sanity, ansible-lint, molecule scenarios"

# ---------------------------------------------------------------- set-up
deps: .lab/apt.stamp venv collection

.lab/apt.stamp: Makefile
	@mkdir -p .lab
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "apt: installing$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi
	@touch $@

venv: $(VENV)/.stamp

$(VENV)/.stamp: requirements.txt
	@test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt
	@touch $@

collection:
	@mkdir -p $(dir $(COLLECTION_LINK))
	@ln -sfn ../../../.. $(COLLECTION_LINK)

image: .lab/apt.stamp
	bash lab/image.sh

# ---------------------------------------------------------------- the lab
lab: deps image
	$(PY) lab/lab.py up lab/topology.yml
	$(PY) lab/converge.py -i lab/inventory/hosts.yml
	ansible-playbook -i lab/inventory/hosts.yml playbooks/clients.yml
	$(PY) lab/report.py -i lab/inventory/hosts.yml --json .lab/report.json
	ansible-playbook -i lab/inventory/hosts.yml playbooks/verify.yml -e wireguard_verify_report=$(ROOT)/.lab/verify.json

lab-up: deps image
	$(PY) lab/lab.py up lab/topology.yml

lab-destroy: .lab/apt.stamp venv
	$(PY) lab/lab.py down lab/topology.yml
	rm -f lab/inventory/wireguard_public_keys.yml
	rm -rf lab/inventory/wireguard-clients

# A generated fleet (docs/lab.md); benchmarks/converge.py measures converges on it.
FLEET ?= 10
lab-fleet: deps image
	$(PY) lab/lab.py fleet $(FLEET)
	$(PY) lab/lab.py up .lab/fleet-$(FLEET)/topology.yml --no-build
	@echo "inventories: .lab/fleet-$(FLEET)/ssh.yml (deploy + sudo), .lab/fleet-$(FLEET)/podman.yml (podman exec)"

lab-fleet-destroy: .lab/apt.stamp venv
	$(PY) lab/lab.py fleet $(FLEET)
	$(PY) lab/lab.py down .lab/fleet-$(FLEET)/topology.yml
	rm -f .lab/fleet-$(FLEET)/wireguard_public_keys.yml

# ---------------------------------------------------------------- tests
test: deps image units sanity lint openwrt-emu molecule

units: deps
	$(PY) -m pytest -q tests/unit tests/openwrt/unit

# ansible-test wants the collection under ansible_collections/<ns>/<name>:
# sanity runs on a copy of the files git knows about.
sanity: deps
	rm -rf $(SANITY_ROOT) && mkdir -p $(SANITY_ROOT)
	git ls-files -z --cached --others --exclude-standard | \
	  while IFS= read -r -d '' f; do [ -e "$$f" ] && printf '%s\0' "$$f"; done | \
	  tar --null -T - -cf - | tar -xf - -C $(SANITY_ROOT)
	@# pip 24.2 is what the pinned ansible-core's ansible-test bootstraps.
	mkdir -p ~/.ansible/test/cache && cp tools/get_pip_shim.py ~/.ansible/test/cache/get_pip_24_2.py
	$(PY) -m pip download -q --no-deps -d ~/.ansible/test/cache/wheels pip==24.2
	cd $(SANITY_ROOT) && git init -q && git add -A && ansible-test sanity --venv --requirements --python 3.11 --color no

lint: deps
	ansible-lint --profile production --offline

# The OpenWrt emulation (tests/openwrt): image + a small lab with real tunnels.
openwrt-emu: deps image
	$(PY) -m pytest -q -p no:cacheprovider tests/openwrt/smoke

molecule: deps image
	molecule test --all

clean: lab-destroy
	rm -rf build .lab/*.log
