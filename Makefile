# Argus: set-up, build, test and demo on a fresh Debian bookworm machine (run as root).
SWIFT ?= swift
DEBIAN_PACKAGES := libsepol-dev libselinux1-dev checkpolicy m4 libxen-dev setools
BUILD_FLAGS ?=
ARGUS := .build/debug/argus
# make install: PREFIX and DESTDIR as usual.
PREFIX ?= /usr/local
DESTDIR ?=
# The installed binary: release, with the Swift runtime linked in (libsepol is static already).
STATIC_ARGUS := .build/release/argus
# Every release build (release, static, bench, install, deb) uses the same flags, so that none
# rebuilds another's modules: the Swift runtime linked in, and generic type metadata reached
# through accessor calls rather than mangled type names. A mangled name is decoded at run time
# and each generic requirement in it (Dictionary<K, V> needs K: Hashable) is found by scanning
# every protocol conformance in the binary, about 7,000 of them: a cold `argus audit` ran 36 M
# instructions with them, 26 M without (README, "Speed"). Results are the same either way. No
# $ORIGIN run path: the binary needs no library of its own beside it (and installed in /usr/bin
# it would look there for the system's libraries first).
RELEASE_FLAGS := -c release --static-swift-stdlib --disable-local-rpath \
	-Xswiftc -Xfrontend -Xswiftc -disable-concrete-type-metadata-mangled-name-accessors
# swift-argument-parser's man page generator (a product of that package), built in debug: small and quick.
GENERATE_MANUAL := .build/debug/generate-manual

.PHONY: all deps build release test demo policy bench report clean install uninstall deb static manual-tool

all: build

# Installs the system packages Argus builds and tests against, only when one is missing.
deps:
	@missing=""; for p in $(DEBIAN_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

build: deps
	$(SWIFT) build $(BUILD_FLAGS)

release: deps
	$(SWIFT) build $(RELEASE_FLAGS)

# ARGUS_TEST_DEB=1 also builds the Debian package first (a release build: several minutes) so
# that DebPackageTests installs it into a scratch root and runs it; without it that suite is skipped.
test: deps
	@if [ "$(ARGUS_TEST_DEB)" = 1 ]; then $(MAKE) --no-print-directory deb; fi
	$(SWIFT) build --build-tests
	$(SWIFT) build --product generate-manual
	$(SWIFT) test --skip-build

# Compiles the bundled example policy source tree to a binary Xen policy.
policy: build
	@mkdir -p out
	$(ARGUS) policy compile policy/example -o out/example.policy

# The main job on the bundled example: who may use Argo with whom, and a short simulation.
demo: build
	$(ARGUS) policy info policy/example
	$(ARGUS) audit policy/example --system examples/system.toml
	$(ARGUS) query policy/example --system examples/system.toml --from a1 --to b1 --perm send || true
	$(ARGUS) simulate policy/example --system examples/system.toml --scenario examples/scenarios/with-policy/example-system.yaml
	$(ARGUS) audit policy/openxt --system examples/openxt/system.toml --services
	$(ARGUS) query policy/openxt --system examples/openxt/system.toml --from syncvm --to dom0:5100 || true
	$(ARGUS) query policy/openxt --system examples/openxt/system.toml --from dom0 --process argo_input_sender_t --to syncvm:2222 || true
	$(ARGUS) guest-policy examples/openxt/dom0-selinux/policy.conf --file-contexts examples/openxt/dom0-selinux/file_contexts

# Release build, then every benchmark with its same-run baseline (see README, "Speed"). The cold
# audit times the argus beside the benchmarks: the static one `make install` ships. Both are built
# with RELEASE_FLAGS (changing them rebuilds every module).
bench: deps
	$(SWIFT) build $(RELEASE_FLAGS) --product argus
	$(SWIFT) build $(RELEASE_FLAGS) --product ArgusBenchmarks
	.build/release/ArgusBenchmarks $(BENCH)

# The HTML audit of the example, screenshotted with headless chromium (Debian's package,
# installed here when missing) into docs/images/audit-report.png.
report: build
	@mkdir -p out docs/images
	$(ARGUS) audit policy/example --system examples/system.toml --format html -o out/audit-report.html
	@command -v chromium >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null)
	chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --screenshot=docs/images/audit-report.png \
	  --window-size=1400,1000 file://$(CURDIR)/out/audit-report.html 2>/dev/null

# The binary `make install` and `make deb` ship: no libswift*.so needed at run time.
static: deps
	$(SWIFT) build $(RELEASE_FLAGS) --product argus

manual-tool:
	$(SWIFT) build --product generate-manual

# The binary, a man page per command, bash/zsh/fish completions, the CI script, the docs and
# the examples (scripts/install.sh says where each goes).
install: static manual-tool
	scripts/install.sh install --bin $(STATIC_ARGUS) --manual-tool $(GENERATE_MANUAL) --prefix "$(PREFIX)" --destdir "$(DESTDIR)"

uninstall:
	scripts/install.sh uninstall --prefix "$(PREFIX)" --destdir "$(DESTDIR)"

# out/deb/argus_VERSION_ARCH.deb: exactly `make install PREFIX=/usr`, Depends from dpkg-shlibdeps.
deb: static manual-tool
	@$(MAKE) --no-print-directory deps DEBIAN_PACKAGES="dpkg-dev"
	scripts/make-deb.sh --bin $(STATIC_ARGUS) --manual-tool $(GENERATE_MANUAL) --out out/deb

clean:
	rm -rf .build out
