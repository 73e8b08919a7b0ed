# Lesson 04: the programs it builds and the sources of each, relative to
# the lesson folder (lessons/common/np.c is linked into every program).
04_PROGRAMS := echo-server
04_echo-server := echo-server.c sockserver.c
04_CFLAGS := -pthread
04_LDLIBS := -pthread

# The library's own tests (what echo-server cannot show), run by
# tests/04-server-classes.bats against the student's sockserver.c.
04_TESTS = $(OUT)/04-server-classes/ss-check
$(OUT)/04-server-classes/ss-check: tests/ss-check.c tests/np-test.c \
		tests/np-test.h $(call src_path,04-server-classes,sockserver.c) \
		lessons/04-server-classes/sockserver.h lessons/common/np.c \
		$(OUT)/.flags
	@mkdir -p $(@D)
	$(COMPILE) -pthread -I$(SRC)/04-server-classes \
		-Ilessons/04-server-classes -Ilessons/common -Itests -o $@ \
		$(filter %.c,$^) -pthread
