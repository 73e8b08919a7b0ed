# netprog - every entry point of the course. `make help` lists them.
#
# Sources: a lesson's files are taken from $(SRC)/NN-name/ when they exist
# there, otherwise from lessons/NN-name/ (given files live only there).
# Programs are built to $(OUT)/NN-name/PROGRAM, never next to the sources.

SHELL := /bin/bash
.DEFAULT_GOAL := help
.SUFFIXES:

CC ?= cc
CSTD := -std=c17
CPPFLAGS := -D_POSIX_C_SOURCE=200809L
WARNINGS := -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes \
	-Wmissing-prototypes -Werror
CFLAGS ?= -O2 -g -gdwarf-4
LDLIBS ?=
SANITIZE ?=
ifneq ($(SANITIZE),)
SANFLAGS := -fsanitize=$(SANITIZE) -fno-omit-frame-pointer \
	-fno-sanitize-recover=all
endif
VALGRIND ?=
SRC ?= lessons
OUT ?= build/$(SRC)
# Programs compiled at once (make check builds with -j$(JOBS)).
JOBS ?= $(shell nproc 2>/dev/null || echo 1)
PEER := build/tests/np-peer
SERVE := build/tests/np-serve
# TESTS_EXTRA: a folder of more tests, NN-*.bats, run with lesson NN's.
TESTS_EXTRA ?=
GRADE_DIR ?= build
# GRADE_WERROR=0: make grade builds with warnings shown, not fatal.
GRADE_WERROR ?= 1
export VALGRIND SANITIZE TESTS_EXTRA GRADE_DIR GRADE_WERROR
# A student release has no solutions/: what needs them says so and stops.
HAVE_SOLUTIONS := $(wildcard solutions)
# What only the instructor's copy can do (it needs solutions/): make help
# leaves these out of a student release.
INSTRUCTOR_TARGETS := test dist-student dist-reference gradescope classroom test-tools \
	skeletons verify-todos check-errors fuzz
empty :=
space := $(empty) $(empty)
comma := ,
define need_solutions
@$(if $(HAVE_SOLUTIONS),true,echo 'netprog: make $@ needs solutions/, the instructor'"'"'s copy; this is the student release (try make check, make grade, make progress)' >&2; exit 1)
endef
# The benchmarks measure the reference solutions, or in a student
# release the student's code.
BENCH_SRC := $(if $(HAVE_SOLUTIONS),solutions,lessons)
ifeq ($(SRC)$(HAVE_SOLUTIONS),solutions)
$(error SRC=solutions: there is no solutions/ folder here (a student release); leave SRC out to use lessons/)
endif

LESSONS := $(sort $(notdir $(wildcard lessons/[0-9][0-9]-*)))

# LESSON may be 3, 03 or 03-file-transfer, or a set of those (01,03 or
# "01 03"); empty means every lesson.
lesson_num = $(firstword $(subst -, ,$(1)))
lesson_pad = $(if $(filter 0 1 2 3 4 5 6 7 8 9,$(1)),0$(1),$(1))
lesson_match = $(filter $(call lesson_pad,$(call lesson_num,$(1)))-%,$(LESSONS))
ifeq ($(strip $(LESSON)),)
SELECTED := $(LESSONS)
else
$(foreach n,$(subst $(comma),$(space),$(LESSON)),$(if $(call lesson_match,$(n)),,\
	$(error no lesson matches LESSON=$(n); the lessons are: $(LESSONS))))
SELECTED := $(sort $(foreach n,$(subst $(comma),$(space),$(LESSON)),$(call lesson_match,$(n))))
endif

COMMON := lessons/common
programs_of = $($(call lesson_num,$(1))_PROGRAMS)
# src_path(lesson, file): the student's or the solution's copy of a file.
src_path = $(if $(wildcard $(SRC)/$(1)/$(2)),$(SRC)/$(1)/$(2),lessons/$(1)/$(2))
headers_of = $(wildcard $(COMMON)/*.h lessons/$(1)/*.h $(SRC)/$(1)/*.h)
# Every program links lessons/common/np.c, and the common files its
# lesson.mk names in NN_COMMON (np-net.c from lesson 03 on: in lessons 01
# and 02, opening a socket is the exercise).
common_of = $(COMMON)/np.c $(addprefix $(COMMON)/,$($(call lesson_num,$(1))_COMMON))

# Each lesson's lesson.mk: its programs, and any extra rules and flags.
$(foreach l,$(LESSONS),$(eval include lessons/$(l)/lesson.mk))

# The flags a build used are kept in a file, so changing CC, CFLAGS or
# SANITIZE rebuilds everything that file feeds.
COMPILE = $(CC) $(CSTD) $(CPPFLAGS) $(WARNINGS) $(CFLAGS) $(SANFLAGS) $(LDFLAGS)
# What builds the lessons' code (their programs, and the test drivers built
# from it): the same, plus PROGRAM_FLAGS (tools/grade sets -Wno-error when
# an instructor grades with GRADE_WERROR=0).
PROGRAM_FLAGS ?=
PROGRAM_COMPILE = $(COMPILE) $(PROGRAM_FLAGS)
define stamp_rule
$(1): FORCE
	@mkdir -p $$(@D)
	@echo '$$($(2))' | cmp -s - $$@ || echo '$$($(2))' >$$@
endef
$(eval $(call stamp_rule,$(OUT)/.flags,PROGRAM_COMPILE))
$(eval $(call stamp_rule,build/tests/.flags,COMPILE))

define program_rule
$(OUT)/$(1)/$(2): $(foreach f,$($(call lesson_num,$(1))_$(2)),$(call src_path,$(1),$(f))) \
		$(call common_of,$(1)) $(call headers_of,$(1)) $(OUT)/.flags
	@mkdir -p $$(@D)
	$$(PROGRAM_COMPILE) $$($(call lesson_num,$(1))_CFLAGS) -I$(SRC)/$(1) \
		-Ilessons/$(1) -I$(COMMON) -o $$@ $$(filter %.c,$$^) \
		$$(LDLIBS) $$($(call lesson_num,$(1))_LDLIBS)
endef
$(foreach l,$(LESSONS),$(foreach p,$(call programs_of,$(l)),\
	$(eval $(call program_rule,$(l),$(p)))))

BINARIES := $(foreach l,$(SELECTED),$(addprefix $(OUT)/$(l)/,$(call programs_of,$(l))))

# The test helpers: np-peer plays clients, np-serve plays servers.
build/tests/%: tests/%.c tests/np-test.c tests/np-test.h $(COMMON)/np.c \
		$(COMMON)/np.h $(COMMON)/np-net.c $(COMMON)/np-net.h \
		build/tests/.flags
	@mkdir -p $(@D)
	$(COMPILE) -Itests -I$(COMMON) -o $@ $(filter %.c,$^)

# Test drivers a lesson's tests run (NN_TESTS in lesson.mk, with their rules).
TEST_DRIVERS := $(foreach l,$(SELECTED),$($(call lesson_num,$(l))_TESTS))
# What a lesson's benchmark needs besides its programs (NN_BENCH).
BENCH_DEPS := $(foreach l,$(SELECTED),$($(call lesson_num,$(l))_BENCH))

# The fuzz harnesses of tests/fuzz/ (libFuzzer: clang, with ASan and
# UBSan), built from the reference solutions, given files from lessons/.
# Each harness: its lesson, the files of it that it compiles (_SRCS) and
# that it #includes (_INCLUDES: a static function is reached that way).
FUZZ_S ?= 60
FUZZ_CC ?= clang
FUZZERS := 01-request-line 03-frame-json 04-lines
01-request-line_LESSON := 01-hello-server
01-request-line_INCLUDES := hello-server.c
03-frame-json_LESSON := 03-file-transfer
03-frame-json_SRCS := frame.c json.c
04-lines_LESSON := 04-concurrent-servers
04-lines_SRCS := lines.c
FUZZ_COMPILE = $(FUZZ_CC) $(CSTD) $(CPPFLAGS) $(WARNINGS) -g -O1 \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer
fuzz_src = $(if $(wildcard solutions/$(1)/$(2)),solutions/$(1)/$(2),lessons/$(1)/$(2))
fuzz_srcs = $(foreach f,$($(1)_SRCS),$(call fuzz_src,$($(1)_LESSON),$(f)))
$(eval $(call stamp_rule,build/fuzz/.flags,FUZZ_COMPILE))

define fuzz_rule
build/fuzz/$(1): tests/fuzz/$(1).c tests/fuzz/fuzz.c tests/fuzz/fuzz.h \
		$(call fuzz_srcs,$(1)) \
		$(foreach f,$($(1)_INCLUDES),$(call fuzz_src,$($(1)_LESSON),$(f))) \
		$(call common_of,$($(1)_LESSON)) \
		$(wildcard $(COMMON)/*.h lessons/$($(1)_LESSON)/*.h) \
		build/fuzz/.flags
	@mkdir -p $$(@D)
	$$(FUZZ_COMPILE) -Isolutions/$($(1)_LESSON) -Ilessons/$($(1)_LESSON) \
		-I$(COMMON) -Itests/fuzz -o $$@ tests/fuzz/$(1).c \
		tests/fuzz/fuzz.c $(call fuzz_srcs,$(1)) \
		$(call common_of,$($(1)_LESSON))
endef
$(foreach f,$(FUZZERS),$(eval $(call fuzz_rule,$(f))))

.PHONY: help build check test bench deps test-programs skeletons \
	verify-todos grade progress watch dist-student dist-reference \
	gradescope classroom helpers test-tools check-errors fuzz clean \
	distclean format format-check FORCE

help: ## show this list
	@echo 'netprog - network programming in C. Usage: make TARGET [LESSON=NN]$(if $(HAVE_SOLUTIONS), [SRC=solutions])'
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | \
		$(if $(HAVE_SOLUTIONS),cat,grep -vE '^($(subst $(space),|,$(strip $(INSTRUCTOR_TARGETS)))):') | \
		sed -E 's/^([a-z-]+):.*## (.*)/  \1\t\2/' | expand -t 18
	@echo 'Variables: LESSON=NN (3, 03, 03-name, or a set: 01,03; default all)$(if $(HAVE_SOLUTIONS),  SRC=solutions)'
	@echo '           VALGRIND=1  SANITIZE=address,undefined|thread  CC=clang'
	@echo '           TESTS_EXTRA=DIR (more tests, NN-*.bats)  GRADE_DIR=DIR (default build)'
	@echo '           GRADE_WERROR=0 (make grade: warnings shown, not fatal)'
	@$(if $(HAVE_SOLUTIONS),echo '           FUZZ_S=SECONDS (make fuzz: per harness, default 60)',true)

build: $(BINARIES) $(TEST_DRIVERS) ## build the selected lessons' programs into build/: make build LESSON=01

deps: ## fetch/check what the tests need (bats, curl, nss_wrapper; valgrind with VALGRIND=1)
	@tools/bootstrap $(if $(VALGRIND),valgrind)

check: deps ## build and test your lesson: make check LESSON=01
	@$(MAKE) --no-print-directory $(if $(findstring jobserver,$(MAKEFLAGS)),,-j$(JOBS)) \
		test-programs
	@tests/run $(OUT) $(SELECTED)

# Everything the selected lessons' tests run (built in parallel by check).
test-programs: $(BINARIES) $(PEER) $(SERVE) $(TEST_DRIVERS)
	@:

# What the tests run that is the course's own code, not the student's:
# tools/grade builds it first (as root, on the autograder).
helpers: $(PEER) $(SERVE) $(filter-out $(OUT)/%,$(TEST_DRIVERS))
	@:

test: ## build and test the reference solutions of every lesson (what CI runs)
	$(need_solutions)
	@$(MAKE) --no-print-directory check SRC=solutions

grade: deps ## score your code on every test: a table, build/grade.json, build/reports/NN-name.xml
	@tools/grade $(SRC) $(OUT) $(SELECTED)

progress: deps ## each lesson's TODOs, done or not, and what to do next
	@GRADE_DIR=build/progress tools/grade --progress $(SRC) $(OUT) $(SELECTED)

watch: deps ## re-run make check on every save: make watch LESSON=01
	@SRC=$(SRC) OUT=$(OUT) tools/watch $(SELECTED)

dist-student: deps ## the student release (no solutions), self-checked: build/dist/
	$(need_solutions)
	@tools/dist-student build/dist

dist-reference: deps ## the reference solutions as clean code, to hand out after the deadline, self-checked: build/dist/
	$(need_solutions)
	@tools/dist-student --reference build/dist

# An assignment: LESSON (a week's lessons, -01-02 in the folder's name),
# or every lesson.
ASSIGNMENT := $(if $(strip $(LESSON)),$(SELECTED))
ASSIGNMENT_TAG := $(if $(ASSIGNMENT),-$(subst $(space),-,$(foreach l,$(SELECTED),$(call lesson_num,$(l)))))
GRADESCOPE_DIR ?= build/gradescope$(ASSIGNMENT_TAG)
CLASSROOM_DIR ?= build/classroom$(ASSIGNMENT_TAG)
gradescope: ## Gradescope's autograder for LESSON (01, 01,02) or all (hidden tests: TESTS_EXTRA=DIR): build/gradescope[-NN].zip
	$(need_solutions)
	@tools/gradescope/build $(GRADESCOPE_DIR) $(ASSIGNMENT)

classroom: ## GitHub Classroom's workflow for LESSON (01, 01,02) or all: build/classroom[-NN]/classroom.yml
	$(need_solutions)
	@mkdir -p $(CLASSROOM_DIR)
	@tools/classroom workflow $(ASSIGNMENT) >$(CLASSROOM_DIR)/classroom.yml
	@echo "classroom: $(CLASSROOM_DIR)/classroom.yml: put it in the assignment's template repository as .github/workflows/classroom.yml"

test-tools: deps $(PEER) $(SERVE) build/tests/doc-check ## test the grading tools themselves (CI runs it)
	$(need_solutions)
	@tests/run-tools

fuzz: ## fuzz the parsers of lessons 01, 03 and 04 for FUZZ_S seconds each (libFuzzer): any crash fails
	$(need_solutions)
	@tools/bootstrap fuzz
	@$(MAKE) --no-print-directory $(addprefix build/fuzz/,$(FUZZERS))
	@tools/fuzz $(FUZZ_S) $(FUZZERS)

bench: deps ## measure a lesson's programs (prints numbers, never fails on speed): make bench LESSON=04
	@tools/bootstrap bench
	@$(MAKE) --no-print-directory -s build SRC=$(BENCH_SRC) OUT=build/$(BENCH_SRC)
	@$(if $(strip $(BENCH_DEPS)),$(MAKE) --no-print-directory -s $(BENCH_DEPS),true)
	@$(foreach l,$(SELECTED),\
		$(if $(wildcard tests/bench/$(l).sh),\
			tests/bench/$(l).sh build/$(BENCH_SRC)/$(l) $($(call lesson_num,$(l))_BENCH) &&,\
			echo "lesson $(l) has no benchmark" &&)) true

skeletons: ## rewrite lessons/ from the TODO blocks in solutions/
	$(need_solutions)
	@tools/skeletons write

verify-todos: deps $(PEER) $(SERVE) $(TEST_DRIVERS) ## prove every TODO is caught: revert each alone, a test named with it must fail
	$(need_solutions)
	@tools/verify-todos $(SELECTED)

check-errors: ## check the error contract (np.h): only main exits, helpers never print
	$(need_solutions)
	@tools/check-errors

# The C files: git's list in a clone; outside git (an unpacked release),
# every one in the course's folders.
C_FILES = $$(git ls-files '*.c' '*.h' 2>/dev/null | grep . || \
	find lessons solutions tests -name '*.[ch]' 2>/dev/null | sort)

format: ## clang-format every C file in place
	@clang-format -i $(C_FILES)

format-check: ## fail if a C file is not clang-formatted
	@clang-format --dry-run -Werror $(C_FILES)

clean: ## remove build/
	rm -rf build

distclean: clean ## also remove the downloaded test tools (.tools/)
	rm -rf .tools

FORCE:
