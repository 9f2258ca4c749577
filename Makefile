# Argus: set-up, build, test and demo on a fresh Debian bookworm machine (run as root).
SWIFT ?= swift
DEBIAN_PACKAGES := libsepol-dev checkpolicy m4 libxen-dev setools
BUILD_FLAGS ?=
ARGUS := .build/debug/argus

.PHONY: all deps build release test demo policy bench report clean

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
	$(SWIFT) build -c release

test: deps
	$(SWIFT) build --build-tests
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

# Release build, then every benchmark with its same-run baseline (see README, "Speed").
bench: deps
	$(SWIFT) build -c release --product argus
	$(SWIFT) build -c release --product ArgusBenchmarks
	.build/release/ArgusBenchmarks $(BENCH)

# The HTML audit of the example, screenshotted with headless chromium (Debian's package,
# installed here when missing) into docs/images/audit-report.png.
report: build
	@mkdir -p out docs/images
	$(ARGUS) audit policy/example --system examples/system.toml --format html -o out/audit-report.html
	@command -v chromium >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null)
	chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --screenshot=docs/images/audit-report.png \
	  --window-size=1400,1000 file://$(CURDIR)/out/audit-report.html 2>/dev/null

clean:
	rm -rf .build out
