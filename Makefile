# modutils: the Linux kernel-module tools in one static Go binary.
#
#   make            build ./modutils (static, stripped)
#   make install    install it, its applet links, man pages and shell
#                   completions (DESTDIR, PREFIX, MANDIR...)
#   make deb        modutils_VERSION_ARCH.deb, with dpkg-deb alone (DEBDIR)
#   make test       set up what the tests need on Debian, then vet, staticcheck and run them all
#   make bench      ours against kmod 34.2's (and udevd), one table of ratios
#   make fuzz       run every fuzz target for FUZZTIME (a count: 500000x) each
#   make demo       install the package in a Debian 13 root and boot it
#   make demo-initrd  boot a VM whose only module tools are modutils (15 s)
#   make vmtest     the VM scenarios of testdata/vm alone, verbosely

GO        ?= go
PREFIX    ?= /usr/local
BINDIR    ?= $(PREFIX)/bin
SBINDIR   ?= $(PREFIX)/sbin
MANDIR    ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR  ?= $(PREFIX)/share/zsh/vendor-completions
FISHCOMPDIR ?= $(PREFIX)/share/fish/vendor_completions.d
APPLETS   := insmod rmmod lsmod modprobe depmod modinfo kerneld kdstat
# Every name with a man page and a completion (kmod too, in BINDIR).
MANPAGES8 := $(APPLETS) kmod modutils
MANPAGES5 := modprobe.d depmod.d modules.dep conf.modules
# bash-completion (Debian's package) ships its own insmod, modinfo,
# modprobe and rmmod completions in the same directory: a package that
# must not clash with it sets BASH_COMPLETIONS to leave those out.
BASH_COMPLETIONS ?= $(APPLETS) kmod
# Fuzz budgets are counts, not durations: Go 1.26's fuzz coordinator can
# report a bare "context deadline exceeded" when a -fuzztime duration runs
# out (golang/go#75804, fixed in Go 1.27), failing a run that found nothing.
FUZZTIME  ?= 500000x
export CGO_ENABLED := 0
# urfave/cli's man and Markdown writers and its "did you mean" are not
# used: these tags leave them (and their dependencies) out, 350 KB.
#
# The binary's default GODEBUG is memprofilerate=0: the linker sets
# runtime.godebugDefault, as the go command does for //go:debug lines
# (which it allows only for its compatibility settings). In a binary that
# links no memory-profile reader the runtime turns profiling off itself,
# but only after its first allocations, which its allocation cache counts
# against a rate out of step with the default one: in a run of rmmod
# three of them record a profile sample, each a stack walk through
# .gopclntab (nine fault-around windows in all) and the profile's bucket
# table. That is 2.5-3 % of a warm rmmod once the page cache holds the
# binary as page faults read it back (README, "Speed and memory"). With
# memprofilerate=0 from the start there is none. A GODEBUG in the
# environment still wins.
GODEBUG_DEFAULT := memprofilerate=0
GOFLAGS_BUILD := -trimpath -ldflags "-s -w -X runtime.godebugDefault=$(GODEBUG_DEFAULT)" -tags urfave_cli_no_docs,urfave_cli_no_suggest

# Debian packages the tests use: kmod 30 is the second oracle, never a
# runtime need; patchelf gives Debian 13's kmod 34.2, the reference oracle
# (testdata/trixie.sh), Debian 13's loader; util-linux's getopt(1) is
# glibc's getopt_long, which the option parser is fuzzed against; fish
# and zsh run the completions made for them.
TEST_DEBS := kmod xz-utils zstd gzip time patchelf util-linux fish zsh
# And what the VM needs (make demo, make vmtest): qemu to boot Debian's
# kernel, a static busybox for the initramfs's shell; cpio(1) reads our
# archives back in a test.
VM_DEBS   := qemu-system-x86 busybox-static cpio
# And what the package proofs need (internal/dist): debootstrap for the
# throwaway Debian 12 and 13 roots, mkfs.ext4 for the booted one's disk.
DIST_DEBS := debootstrap e2fsprogs

# The package's version; its architecture is dpkg's name for GOARCH.
VERSION   ?= 0.1.0
DEBDIR    ?= .

.PHONY: all modutils install deb test deps vmdeps trees bench fuzz demo demo-initrd vmtest clean

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
	@# Man pages gzipped (-n: no name or time stamp, as Debian's
	@# dh_compress), so that two builds install the same bytes.
	install -d $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(MANDIR)/man5
	for p in $(MANPAGES8); do ./modutils man $$p.8 | gzip -9n >$(DESTDIR)$(MANDIR)/man8/$$p.8.gz; done
	for p in $(MANPAGES5); do ./modutils man $$p.5 | gzip -9n >$(DESTDIR)$(MANDIR)/man5/$$p.5.gz; done
	@# kmod's other names for two of them.
	ln -sf modprobe.d.5.gz $(DESTDIR)$(MANDIR)/man5/modprobe.conf.5.gz
	ln -sf modules.dep.5.gz $(DESTDIR)$(MANDIR)/man5/modules.dep.bin.5.gz
	install -d $(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(ZSHCOMPDIR) $(DESTDIR)$(FISHCOMPDIR)
	for a in $(BASH_COMPLETIONS); do ./modutils completion bash $$a >$(DESTDIR)$(BASHCOMPDIR)/$$a || exit 1; done
	for a in $(APPLETS) kmod; do \
		./modutils completion zsh $$a >$(DESTDIR)$(ZSHCOMPDIR)/_$$a && \
		./modutils completion fish $$a >$(DESTDIR)$(FISHCOMPDIR)/$$a.fish || exit 1; \
	done

# mkdeb.sh stages make install (PREFIX=/usr) and internal/dist's files.
deb:
	MAKE="$(MAKE)" GO="$(GO)" internal/dist/mkdeb.sh $(DEBDIR) $(VERSION)

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
	$(call install-debs,$(TEST_DEBS) $(VM_DEBS) $(DIST_DEBS))

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
	@# Embedded systems run 32-bit and other kernels: the code must build
	@# (and vet) where int is 32 bits and where there is no SHA assembly.
	GOARCH=386 $(GO) vet ./...
	GOARCH=arm $(GO) vet ./...
	GOARCH=arm64 $(GO) vet ./...
	$(GO) tool staticcheck ./...
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

# The demo is the package's proof, with the VM's console shown: the
# package installed with apt in a debootstrapped Debian 13 root (cached
# after the first run), its initramfs made by update-initramfs, and the
# root booted in qemu from a virtio disk, kerneld started by systemd. It
# takes minutes under tcg; demo-initrd is the quick one.
demo: modutils vmdeps
	$(call install-debs,$(DIST_DEBS))
	testdata/trixie.sh >/dev/null
	DIST_CONSOLE=1 $(GO) test -count=1 -timeout 40m -run 'TestDebian/trixie' -v ./internal/dist

# The quick demo needs only the uncompressed tree: making the compressed
# copies would take minutes on a fresh machine.
demo-initrd: vmdeps
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
