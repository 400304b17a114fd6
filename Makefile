# SPDX-License-Identifier: MIT
# SCCrypt: end-to-end encrypted serial consoles for Xen guests.
# GNU make.  `make` builds the tools into bin/; see README.md for the rest.

PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
SBINDIR ?= $(PREFIX)/sbin
MANDIR  ?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc
DOCDIR  ?= $(PREFIX)/share/doc/sccrypt
DESTDIR ?=
VERSION := 0.1.0

CC      ?= cc
SCDOC   ?= scdoc
# -Werror only where we decide (make check, CI), never forced on packagers.
WERROR  ?=
ifeq ($(WERROR),1)
  ERRFLAG := -Werror
endif

WARN := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wvla \
        -Wformat=2 -Wno-unused-parameter
override CFLAGS := -std=gnu99 -O2 -g $(WARN) $(ERRFLAG) -D_GNU_SOURCE \
        -DSC_VERSION='"$(VERSION)"' -DSC_RELAY_POLICY='"$(SYSCONFDIR)/sccrypt/relay.conf"' -Isrc -Isrc/core -Isrc/lib $(CFLAGS)

# The freestanding core: Xen's own flags, no SIMD where the target has it.
CORE_CFLAGS := -std=gnu99 -O2 -g -ffreestanding -fno-builtin -fno-strict-aliasing \
        -Wall -Wextra -Wdeclaration-after-statement -Wvla -Wstrict-prototypes \
        -Wmissing-prototypes $(ERRFLAG)
ifeq ($(shell uname -m),x86_64)
  CORE_CFLAGS += -mno-sse -mno-mmx -mno-avx -mno-red-zone
endif

CRYPTO_LIBS := $(shell pkg-config --libs libcrypto 2>/dev/null || echo -lcrypto)
XEN_LIBS    := $(shell pkg-config --libs xencall xenevtchn xenstore 2>/dev/null)
ifeq ($(wildcard src/relay/relay_xen.c),)
  XEN_LIBS :=
endif

CORE_SRC   := $(wildcard src/core/*.c)
LIB_SRC    := $(wildcard src/lib/*.c)
CLIENT_SRC := $(wildcard src/client/*.c)
SIM_SRC    := $(wildcard src/sim/*.c)
CORE_OBJ   := $(CORE_SRC:src/%.c=bin/obj/%.o)
LIB_OBJ    := $(LIB_SRC:src/%.c=bin/obj/%.o)
CLIENT_OBJ := $(CLIENT_SRC:src/%.c=bin/obj/%.o)
SIM_OBJ    := $(SIM_SRC:src/%.c=bin/obj/%.o)

RELAY_SRC := src/relay/relay_sim.c src/relay/relay_policy.c src/relay/relay_gate.c
ifneq ($(and $(XEN_LIBS),$(wildcard src/relay/relay_xen.c)),)
  RELAY_SRC += src/relay/relay_xen.c
else
  RELAY_SRC += src/relay/relay_noxen.c
endif
RELAY_OBJ := $(RELAY_SRC:src/%.c=bin/obj/%.o)

CLIENT_TOOLS := $(foreach t,sc-keygen sc-enc sc-dec,$(if $(wildcard src/$(t).c),bin/$(t)))
SIM_TOOL     := $(if $(wildcard src/sc-vmmsim.c),bin/sc-vmmsim)
RELAY_TOOL   := $(if $(wildcard src/relay/sc-relay.c),bin/sc-relay)
CONSOLE_TOOL := $(if $(wildcard src/sc-console.sh),bin/sc-console)
TOOLS := $(CLIENT_TOOLS) $(CONSOLE_TOOL) $(SIM_TOOL) $(RELAY_TOOL)

TEST_SRC  := $(wildcard test/unit/*.c test/ct/*.c test/bench/*.c test/tools/*.c)
TEST_BIN  := $(foreach s,$(TEST_SRC),bin/test/$(basename $(notdir $(s))))

MAN_SRC := $(wildcard man/*.scd)
MAN_OUT := $(MAN_SRC:.scd=)

.PHONY: all tools tests man check check-xen check-xen-smoke bench-xen demo bench install uninstall clean \
        deps deps-demo print-man-subst FORCE patch install-client install-relay uninstall-client uninstall-relay deb \
        fuzz fuzz-build
all: tools tests
tools: $(TOOLS)
tests: $(TEST_BIN)

bin/obj/core/%.o: src/core/%.c $(wildcard src/core/*.h)
	@mkdir -p $(@D)
	$(CC) $(CORE_CFLAGS) -c -o $@ $<

bin/obj/%.o: src/%.c $(wildcard src/*.h src/relay/*.h src/core/*.h src/lib/*.h src/client/*.h src/sim/*.h)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c -o $@ $<

$(CLIENT_TOOLS): bin/%: bin/obj/%.o $(CLIENT_OBJ) $(LIB_OBJ) $(CORE_OBJ)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(CRYPTO_LIBS)

# sc-console is a shell script around the other tools.
bin/sc-console: src/sc-console.sh
	@mkdir -p $(@D)
	sed 's/@VERSION@/$(VERSION)/' $< > $@.tmp && chmod 755 $@.tmp && mv $@.tmp $@

# The simulator plays the hypervisor: the core's crypto, no OpenSSL.
bin/sc-vmmsim: bin/obj/sc-vmmsim.o $(SIM_OBJ) $(LIB_OBJ) $(CORE_OBJ)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ -lutil

# The relay runs as root in dom0 and holds no key: no crypto, no core.
bin/sc-relay: bin/obj/relay/sc-relay.o $(RELAY_OBJ) $(LIB_OBJ)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(XEN_LIBS)

define test_rule
bin/test/$(basename $(notdir $(1))): $(1) $(CLIENT_OBJ) $(SIM_OBJ) $(LIB_OBJ) $(CORE_OBJ)
	@mkdir -p bin/test
	$$(CC) $$(CFLAGS) -Isrc/client -Isrc/sim $$(LDFLAGS) -o $$@ $$^ $$(CRYPTO_LIBS) -lutil
endef
$(foreach s,$(TEST_SRC),$(eval $(call test_rule,$(s))))

# The pages name the paths of the install they are built for (@SBINDIR@,
# @DOCDIR@, @SYSCONFDIR@ in the sources): `make man PREFIX=/usr` for a
# package.  bin/man.vars changes with them, so the pages are rebuilt.
MAN_SUBST := -e 's|@SBINDIR@|$(SBINDIR)|g' -e 's|@DOCDIR@|$(DOCDIR)|g' \
        -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g'
man: $(MAN_OUT)
man/%: man/%.scd bin/man.vars
	sed $(MAN_SUBST) $< | $(SCDOC) > $@.tmp && mv $@.tmp $@

bin/man.vars: FORCE
	@mkdir -p $(@D)
	@echo "$(MAN_SUBST)" | cmp -s - $@ 2> /dev/null || echo "$(MAN_SUBST)" > $@

# The substitution, for test/examples.bats (which runs the pages' examples).
print-man-subst:
	@echo "$(MAN_SUBST)"

FORCE:

# Installs what is missing (Debian, as root) and says so; elsewhere names it.
# deps: the test toolchain (make check); deps-demo: only what the demo needs
# to build and run (no sshd, sudo, tmux, clang or valgrind).
deps:
	@sh test/deps.sh test

deps-demo:
	@sh test/deps.sh demo

check: deps
	$(MAKE) WERROR=1 all man
	PATH="$(CURDIR)/bin:$$PATH" bats test/

# The real-hypervisor tier: the patched Xen booted under QEMU (hcall/README.md).
check-xen: deps
	$(MAKE) WERROR=1 all
	$(MAKE) -C hcall check-xen

# The same harness on Debian's stock Xen, without the patch.
check-xen-smoke: deps
	$(MAKE) WERROR=1 all
	$(MAKE) -C hcall check-xen-smoke

# Figures on the real hypervisor, beside the plaintext path (never a test).
bench-xen: deps
	$(MAKE) WERROR=1 all
	$(MAKE) -C hcall bench-xen

demo: deps-demo
	$(MAKE) tools
	sh test/demo.sh

# SCCrypt against a plaintext console to the same simulated guest, then the
# core against OpenSSL (test/bench/run.sh says what and how).
bench: deps
	$(MAKE) tools tests
	bash test/bench/run.sh

patch:
	$(MAKE) -C hcall patch

# Coverage-guided fuzzing: libFuzzer targets (test/fuzz/fuzz_*.c) built with clang under
# ASan and UBSan.  `make fuzz` runs each for FUZZ_TIME seconds (default 60), keeping what
# it learns in bin/fuzz/corpus/ on top of the seeds in test/fuzz/corpus/; make check runs
# each briefly (test/libfuzzer.bats).
FUZZ_CC    ?= clang
FUZZ_TIME  ?= 60
FUZZ_FLAGS := -std=gnu99 -g -O1 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined \
        -fno-sanitize-recover=all -DSC_VERSION='"$(VERSION)"' -Isrc -Isrc/core -Isrc/lib -Isrc/client
FUZZ_SRC   := $(wildcard test/fuzz/fuzz_*.c)
FUZZ_BIN   := $(FUZZ_SRC:test/fuzz/%.c=bin/fuzz/%)
FUZZ_HDRS  := $(wildcard src/*.h src/relay/*.h src/core/*.h src/lib/*.h src/client/*.h src/sim/*.h)

bin/fuzz/fuzz_vmm: test/fuzz/fuzz_vmm.c $(CORE_SRC) $(FUZZ_HDRS)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ $< $(CORE_SRC)

bin/fuzz/fuzz_client: test/fuzz/fuzz_client.c $(CORE_SRC) $(CLIENT_SRC) $(LIB_SRC) $(FUZZ_HDRS)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ $< $(CORE_SRC) $(CLIENT_SRC) $(LIB_SRC) $(CRYPTO_LIBS)

# The files' parsers with the tools' messages stubbed out (no msg.c).
bin/fuzz/fuzz_files: test/fuzz/fuzz_files.c $(CORE_SRC) $(CLIENT_SRC) $(LIB_SRC) $(FUZZ_HDRS)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ $< $(CORE_SRC) $(filter-out src/client/msg.c,$(CLIENT_SRC)) \
	    $(LIB_SRC) $(CRYPTO_LIBS)

# sc-relay.c compiled into the target (its main renamed), with the relay's other parts
# but no Xen backend.
FUZZ_RELAY_SRC := $(filter-out src/relay/relay_xen.c,$(RELAY_SRC)) \
        $(if $(filter src/relay/relay_noxen.c,$(RELAY_SRC)),,src/relay/relay_noxen.c)
bin/fuzz/fuzz_relay: test/fuzz/fuzz_relay.c src/relay/sc-relay.c $(FUZZ_RELAY_SRC) $(LIB_SRC) $(FUZZ_HDRS)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ $< $(FUZZ_RELAY_SRC) $(LIB_SRC)

fuzz-build: $(FUZZ_BIN)

fuzz: deps
	$(MAKE) fuzz-build
	@for f in $(FUZZ_BIN); do \
	    n=$${f##*/}; mkdir -p bin/fuzz/corpus/$$n; \
	    echo "fuzz: $$n for $(FUZZ_TIME) s"; \
	    $$f -max_total_time=$(FUZZ_TIME) -print_final_stats=1 -artifact_prefix=bin/fuzz/ \
	        bin/fuzz/corpus/$$n \
	        test/fuzz/corpus/$$n 2> bin/fuzz/$$n.log || { tail -n 60 bin/fuzz/$$n.log; exit 1; }; \
	    grep -E '^#[0-9]+[[:space:]]+DONE|stat::number_of_executed_units' bin/fuzz/$$n.log; \
	done

# The user's side: the client tools, sc-console, the simulator (to try things
# out), their man pages and sccrypt(7).
CLIENT_MAN := $(filter-out man/sc-relay.8,$(MAN_OUT))
install-client: $(CLIENT_TOOLS) $(CONSOLE_TOOL) $(SIM_TOOL) $(CLIENT_MAN)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man7
	install -m 755 $(CLIENT_TOOLS) $(CONSOLE_TOOL) $(SIM_TOOL) $(DESTDIR)$(BINDIR)
	for m in $(filter %.1,$(CLIENT_MAN)); do install -m 644 $$m $(DESTDIR)$(MANDIR)/man1; done
	for m in $(filter %.7,$(CLIENT_MAN)); do install -m 644 $$m $(DESTDIR)$(MANDIR)/man7; done

# dom0's side: the relay, its man page, and examples of the sudoers drop-in
# (naming where the relay goes) and of the policy file.
install-relay: $(RELAY_TOOL) man/sc-relay.8 examples/sudoers.in examples/relay.conf
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(DOCDIR)
	install -m 755 $(RELAY_TOOL) $(DESTDIR)$(SBINDIR)
	install -m 644 man/sc-relay.8 $(DESTDIR)$(MANDIR)/man8
	sed 's|@SBINDIR@|$(SBINDIR)|' examples/sudoers.in > $(DESTDIR)$(DOCDIR)/sudoers.sccrypt.tmp
	chmod 644 $(DESTDIR)$(DOCDIR)/sudoers.sccrypt.tmp
	mv $(DESTDIR)$(DOCDIR)/sudoers.sccrypt.tmp $(DESTDIR)$(DOCDIR)/sudoers.sccrypt
	install -m 644 examples/relay.conf $(DESTDIR)$(DOCDIR)/relay.conf

install: install-client install-relay

uninstall-client:
	rm -f $(addprefix $(DESTDIR)$(BINDIR)/,sc-keygen sc-enc sc-dec sc-console sc-vmmsim)
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man1/,sc-keygen.1 sc-enc.1 sc-dec.1 sc-console.1 \
	    sc-vmmsim.1) $(DESTDIR)$(MANDIR)/man7/sccrypt.7

uninstall-relay:
	rm -f $(DESTDIR)$(SBINDIR)/sc-relay $(DESTDIR)$(MANDIR)/man8/sc-relay.8
	rm -f $(DESTDIR)$(DOCDIR)/sudoers.sccrypt $(DESTDIR)$(DOCDIR)/relay.conf
	-rmdir $(DESTDIR)$(DOCDIR) 2> /dev/null

uninstall: uninstall-client uninstall-relay

# The Debian packages (debian/), built from a copy of the tree in bin/deb/src
# so that dpkg-buildpackage's outputs land in bin/deb/, not beside the tree.
deb:
	rm -rf bin/deb
	mkdir -p bin/deb/src
	tar -c --exclude=./bin --exclude=./.git --exclude=./hcall/work --exclude='*.o' \
	    --exclude='*.d' $(addprefix --exclude=./,$(MAN_OUT)) . | \
	    tar -x -C bin/deb/src
	cd bin/deb/src && dpkg-buildpackage -b -us -uc
	rm -rf bin/deb/src
	@ls bin/deb/*.deb

clean:
	rm -rf bin $(MAN_OUT)
