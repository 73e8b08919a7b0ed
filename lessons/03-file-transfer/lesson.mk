# Lesson 03: the programs it builds and the sources of each, relative to
# the lesson folder (lessons/common/np.c is linked into every program;
# NN_COMMON names the other common files they link).
03_COMMON := np-net.c
03_PROGRAMS := fileserver filecli
03_fileserver := fileserver.c frame.c json.c
03_filecli := filecli.c frame.c json.c

# The unit tests of the given JSON code, run by tests/03-file-transfer.bats.
03_TESTS := build/tests/json-check
build/tests/json-check: tests/json-check.c lessons/03-file-transfer/json.c \
		lessons/03-file-transfer/json.h build/tests/.flags
	@mkdir -p $(@D)
	$(COMPILE) -Ilessons/03-file-transfer -o $@ $(filter %.c,$^)

# The benchmark's baseline: the same file I/O as the lesson, no protocol.
03_BENCH := build/bench/rawpair
build/bench/rawpair: tests/bench/rawpair.c $(BENCH_SRC)/03-file-transfer/frame.c \
		lessons/03-file-transfer/json.c $(call common_of,03-file-transfer) \
		build/tests/.flags
	@mkdir -p $(@D)
	$(COMPILE) -Ilessons/03-file-transfer -I$(COMMON) -o $@ $(filter %.c,$^)
