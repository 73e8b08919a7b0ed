# Lesson 05: the programs it builds and the sources of each, relative to
# the lesson folder (lessons/common/np.c is linked into every program;
# NN_COMMON names the other common files they link).
05_COMMON := np-net.c
05_PROGRAMS := echo-server
05_echo-server := echo-server.c sockserver.c
05_CFLAGS := -pthread
05_LDLIBS := -pthread

# The library's own tests (what echo-server cannot show), run by
# tests/05-server-classes.bats against the student's sockserver.c.
05_TESTS = $(OUT)/05-server-classes/ss-check
$(OUT)/05-server-classes/ss-check: tests/ss-check.c tests/np-test.c \
		tests/np-test.h $(call src_path,05-server-classes,sockserver.c) \
		lessons/05-server-classes/sockserver.h lessons/common/np.c \
		$(OUT)/.flags
	@mkdir -p $(@D)
	$(COMPILE) -pthread -I$(SRC)/05-server-classes \
		-Ilessons/05-server-classes -Ilessons/common -Itests -o $@ \
		$(filter %.c,$^) -pthread
