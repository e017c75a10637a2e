# modutils: the Linux kernel-module tools in one static Go binary.
#
#   make            build ./modutils (static, stripped)
#   make install    install it and its applet links (DESTDIR, PREFIX)
#   make test       set up what the tests need on Debian, then run them all
#   make bench      ours against kmod 34.2's (and udevd), one table of ratios
#   make fuzz       run every fuzz target for FUZZTIME (a count: 500000x) each
#   make demo       boot a VM whose only module tools are modutils
#   make vmtest     the VM scenarios of testdata/vm alone, verbosely

GO        ?= go
PREFIX    ?= /usr/local
BINDIR    ?= $(PREFIX)/bin
SBINDIR   ?= $(PREFIX)/sbin
APPLETS   := insmod rmmod lsmod modprobe depmod modinfo kerneld kdstat
# Fuzz budgets are counts, not durations: Go 1.26's fuzz coordinator can
# report a bare "context deadline exceeded" when a -fuzztime duration runs
# out (golang/go#75804, fixed in Go 1.27), failing a run that found nothing.
FUZZTIME  ?= 500000x
export CGO_ENABLED := 0
GOFLAGS_BUILD := -trimpath -ldflags "-s -w"

# Debian packages the tests use: kmod 30 is the second oracle, never a
# runtime need; patchelf gives Debian 13's kmod 34.2, the reference oracle
# (testdata/trixie.sh), Debian 13's loader; util-linux's getopt(1) is
# glibc's getopt_long, which the option parser is fuzzed against.
TEST_DEBS := kmod xz-utils zstd gzip time patchelf util-linux
# And what the VM needs (make demo, make vmtest): qemu to boot Debian's
# kernel, a static busybox for the initramfs's shell.
VM_DEBS   := qemu-system-x86 busybox-static

.PHONY: all modutils install test deps vmdeps trees bench fuzz demo vmtest clean

all: modutils

modutils:
	$(GO) build $(GOFLAGS_BUILD) -o modutils .

# kmod goes beside the binary, in BINDIR, where Debian has it and where
# systemd's kmod-static-nodes.service and initramfs generators call it.
install: modutils
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SBINDIR)
	install -m 0755 modutils $(DESTDIR)$(BINDIR)/modutils
	for a in $(APPLETS); do ln -sf $$(realpath -m --relative-to=$(SBINDIR) $(BINDIR))/modutils $(DESTDIR)$(SBINDIR)/$$a; done
	ln -sf modutils $(DESTDIR)$(BINDIR)/kmod

# install-debs installs the Debian packages named, where they are missing.
define install-debs
	@missing=""; for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi
endef

# deps installs the Debian packages the tests need, where they are missing.
deps:
	$(call install-debs,$(TEST_DEBS) $(VM_DEBS))

vmdeps:
	$(call install-debs,$(VM_DEBS))

trees: deps
	testdata/debian-tree.sh >/dev/null
	testdata/trixie.sh >/dev/null

# The binary ships in initramfs images: the design card gives it 6 MiB.
MAX_SIZE := 6291456

test: modutils trees
	@size=$$(stat -c %s modutils); echo "modutils is $$size bytes"; \
		[ $$size -lt $(MAX_SIZE) ] || { echo "modutils is over $(MAX_SIZE) bytes"; exit 1; }
	$(GO) vet ./...
	@# The VM scenarios (two kernels, and a flood) take minutes under tcg:
	@# more than go test's default ten minutes on a busy machine.
	VMMODUTILS=$(CURDIR)/modutils $(GO) test -count=1 -timeout 45m ./...
	$(MAKE) --no-print-directory fuzz FUZZTIME=50000x

# One table of ratios against kmod 34.2 (and systemd-udevd): each
# benchmark records its rows (internal/benchcmp) in BENCHROWS, and the
# table is printed at the end. BENCHREPS sets the paired runs of each
# host row, VMBENCHREPS the fresh boots of each coldplug side (5).
BENCHROWS ?= $(CURDIR)/.bench-rows
bench: modutils trees vmdeps
	rm -f $(BENCHROWS)
	BENCHROWS=$(BENCHROWS) $(GO) test -run '^$$' -bench Table -benchtime 1x -timeout 60m ./internal/benchcmp/
	$(GO) test -run '^$$' -bench DecodeTrixie -benchtime 2x ./elfmod/xz/
	BENCHROWS=$(BENCHROWS) VMMODUTILS=$(CURDIR)/modutils $(GO) test -run '^$$' -bench Coldplug -benchtime 1x -timeout 120m ./internal/vm/
	@echo; $(GO) run ./internal/benchcmp/table $(BENCHROWS)

# A target whose every input runs a program (FuzzGetopt execs util-linux
# getopt(1), a millisecond or two, where the others take microseconds)
# says "// fuzzbudget: 1/N" above its func and gets FUZZTIME/N inputs:
# 50,000 of them took 46 s on this project's 2-core machine at a load of 9,
# which would make it the slowest step of make test.
fuzz:
	@for pkg in $$($(GO) list ./...); do \
		dir=$$($(GO) list -f '{{.Dir}}' $$pkg); \
		for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
			budget=$(FUZZTIME); \
			div=$$(awk -v f="$$f" '/^\/\//{c=c $$0 "\n"; next} index($$0, "func " f "(")==1{printf "%s", c} {c=""}' $$dir/*_test.go \
				| sed -n 's|^// fuzzbudget: 1/\([0-9][0-9]*\)$$|\1|p'); \
			case "$$budget" in *x) if [ -n "$$div" ]; then budget=$$(( $${budget%x} / div ))x; fi;; esac; \
			echo "fuzz $$pkg $$f $$budget"; \
			$(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $$budget $$pkg >/tmp/modutils-fuzz.log 2>&1 \
				|| { cat /tmp/modutils-fuzz.log; exit 1; }; \
		done; \
	done

# The demo needs only the uncompressed tree: making the compressed
# copies would take minutes on a fresh machine.
demo: vmdeps
	@start=$$(date +%s%N); \
	$(MAKE) --no-print-directory -s modutils && \
	testdata/debian-tree.sh --plain >/dev/null && \
	$(GO) run ./internal/vm/demo -modutils ./modutils -start $$start

# make test runs the VM scenarios too; vmtest runs them alone, with every
# VM's console (VMSCENARIO=name for one, VMKERNEL=deb12 or deb13 for one
# kernel, VMSCRIPT=file for your own).
vmtest: modutils trees
	VMMODUTILS=$(CURDIR)/modutils $(GO) test -count=1 -timeout 45m -run TestScenarios -v ./internal/vm

clean:
	rm -f modutils
