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

.PHONY: help deps venv collection image lab lab-up lab-destroy lab-fleet lab-fleet-destroy test units sanity lint openwrt-emu molecule clean \
        dist tarball-test galaxy-importer docs-lint release ee ee-image

help:
	@echo "make lab          build the lab, run playbooks/site.yml against it, print the pair table and verify.yml's matrix"
	@echo "make lab-destroy  remove the lab containers and networks"
	@echo "make lab-fleet FLEET=30  bring up a generated lab of 2 hubs and FLEET spokes (see docs/lab.md)"
	@echo "make test         unit tests, ansible-test sanity, ansible-lint, docs lint, tarball test, galaxy-importer, molecule scenarios"
	@echo "make dist         the collection tarball in build/dist"
	@echo "make ee           execution environment build context (build/ee/context); make ee-image builds it with podman"
	@echo "make release VERSION=x.y.z   CHANGELOG.rst from the changelog fragments"

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

# requirements.txt lists what the collection needs at run time (it ships);
# requirements-dev.txt pins the developer tools and includes it.
$(VENV)/.stamp: requirements-dev.txt requirements.txt
	@test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements-dev.txt
	@touch $@

# Publishing tools each get their own venv: their pins clash with the
# developer venv's ansible-core/ansible-lint.
build/venv-%/.stamp: tools/requirements-%.txt
	@rm -rf $(dir $@) && python3 -m venv $(dir $@)
	$(dir $@)bin/python -m pip install -q --upgrade pip
	$(dir $@)bin/python -m pip install -q -r $<
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
test: deps image units sanity lint docs-lint tarball-test galaxy-importer openwrt-emu molecule

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

# ansible-lint and molecule copy the collection into ~/.ansible/collections and
# skip the copy when that version is there already: a copy left by an earlier
# checkout would then be linted and run instead of this one.
STALE_COPY := $(HOME)/.ansible/collections/ansible_collections/wgnet/wireguard

lint: deps
	rm -rf $(STALE_COPY)
	ansible-lint --profile production --offline

# The OpenWrt emulation (tests/openwrt): image + a small lab with real tunnels.
openwrt-emu: deps image
	$(PY) -m pytest -q -p no:cacheprovider tests/openwrt/smoke

molecule: deps image
	rm -rf $(STALE_COPY)
	molecule test --all

# ---------------------------------------------------------------- publishing
DIST := $(ROOT)/build/dist
TARBALL := $(DIST)/wgnet-wireguard-$(shell sed -n 's/^version: *//p' galaxy.yml).tar.gz

# The collection tarball, as Galaxy gets it (build_ignore in galaxy.yml).
dist: deps
	@mkdir -p $(DIST)
	ansible-galaxy collection build --force --output-path $(DIST) .

# Builds the tarball from a copy of the tree with client keys, caches and
# reports planted in it, checks that none of them ships, then runs the shipped
# unit tests from an installed copy.
tarball-test: deps
	$(PY) -m pytest -q -p no:cacheprovider tests/package

# Galaxy's own import check on the built tarball (ansible-test step off).
galaxy-importer: dist build/venv-importer/.stamp
	rm -rf build/importer && mkdir -p build/importer
	cd build/importer && GALAXY_IMPORTER_CONFIG=$(ROOT)/tools/galaxy-importer.cfg \
	  $(ROOT)/build/venv-importer/bin/python -m galaxy_importer.main $(TARBALL) 2>&1 | tee importer.log
	@# Galaxy accepts warnings; we do not.
	@! grep -E '^(WARNING|ERROR)' build/importer/importer.log
	@echo "galaxy-importer: no error, no warning"

# Plugin and role documentation as docs.ansible.com renders it.
docs-lint: deps collection build/venv-antsibull/.stamp
	cd $(COLLECTION_LINK) && $(ROOT)/build/venv-antsibull/bin/antsibull-docs lint-collection-docs --plugin-docs .
	$(ROOT)/build/venv-antsibull/bin/antsibull-changelog lint

# Release notes, once every change's fragment is merged: make release VERSION=0.1.0
# (writes CHANGELOG.rst and changelogs/changelog.yaml, removes the fragments).
release: collection build/venv-antsibull/.stamp
	@test -n "$(VERSION)" || { echo "usage: make release VERSION=x.y.z"; exit 1; }
	@grep -q "^version: $(VERSION)$$" galaxy.yml || { echo "galaxy.yml: set version: $(VERSION) first"; exit 1; }
	cd $(COLLECTION_LINK) && PATH=$(ROOT)/build/venv-antsibull/bin:$$PATH antsibull-changelog release --version $(VERSION)

# The execution environment: ansible-builder's introspection of the installed
# tarball must list only the run-time requirements (PyNaCl, qrencode); then
# the build context from tools/execution-environment.yml (build/ee/context).
EE_IMAGE := wgnet-ee:0.1.0
ee: dist build/venv-builder/.stamp
	rm -rf build/ee && mkdir -p build/ee/collections build/ee/installed
	ANSIBLE_COLLECTIONS_PATH=$(ROOT)/build/ee/installed ansible-galaxy collection install --force --no-deps -p build/ee/installed $(TARBALL) >/dev/null
	build/venv-builder/bin/ansible-builder introspect --sanitize build/ee/installed | tee build/ee/introspect.yml
	@test "$$(sed -n 's/^- .\([A-Za-z0-9_.-]*\).*# from collection .*/\1/p' build/ee/introspect.yml | sort | tr '\n' ' ')" = "PyNaCl qrencode " \
	  || { echo "introspection lists more than the run-time requirements"; exit 1; }
	@# The collection and its dependencies (from the developer venv's ansible
	@# package) as tarballs: Galaxy is not reachable from these machines.
	cp $(TARBALL) build/ee/collections/wgnet-wireguard.tar.gz
	$(PY) tools/pack_collection.py ansible.posix build/ee/collections/ansible-posix.tar.gz
	$(PY) tools/pack_collection.py community.general build/ee/collections/community-general.tar.gz
	mkdir -p build/ee/certs && cp /etc/ssl/certs/ca-certificates.crt build/ee/certs/ca.crt
	cp tools/execution-environment.yml build/ee/
	cd build/ee && $(ROOT)/build/venv-builder/bin/ansible-builder create -f execution-environment.yml

# Builds the image with podman from the lab's local Debian image (needs
# `make image`; pip and apt reach PyPI and Debian), then checks the
# collection's playbooks inside it.
ee-image: ee image
	cd build/ee && $(ROOT)/build/venv-builder/bin/ansible-builder build --container-runtime podman \
	  -f execution-environment.yml -t $(EE_IMAGE) -v 2
	podman run --rm --network none $(EE_IMAGE) ansible-galaxy collection list
	podman run --rm --network none $(EE_IMAGE) sh -c 'python3 -c "import nacl; print(\"PyNaCl\", nacl.__version__)" && command -v qrencode'
	podman run --rm --network none -v $(ROOT)/lab/inventory:/runner/inventory:ro,Z $(EE_IMAGE) \
	  ansible-playbook -i /runner/inventory/hosts.yml --syntax-check wgnet.wireguard.site
	podman run --rm --network none -v $(ROOT)/lab/inventory:/runner/inventory:ro,Z $(EE_IMAGE) \
	  ansible-playbook -i /runner/inventory/hosts.yml wgnet.wireguard.plan
