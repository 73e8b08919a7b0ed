# Lesson 05: the programs it builds and the sources of each, relative to
# the lesson folder (lessons/common/np.c is linked into every program;
# NN_COMMON names the other common files they link).
05_COMMON := np-net.c
# libsockserver, one file per branch of its class tree (sockserver.h).
05_LIB := sockserver-base.c sockserver-loop.c sockserver-inet.c \
	sockserver-unix.c sockserver-mixins.c
05_PROGRAMS := echo-server
05_echo-server := echo-server.c $(05_LIB)
05_CFLAGS := -pthread
05_LDLIBS := -pthread

# The library's own tests (what echo-server cannot show), run by
# tests/05-server-classes.bats against the student's libsockserver.
05_TESTS = $(OUT)/05-server-classes/ss-check
$(OUT)/05-server-classes/ss-check: tests/ss-check.c tests/np-test.c \
		tests/np-test.h \
		$(foreach f,$(05_LIB),$(call src_path,05-server-classes,$(f))) \
		$(call headers_of,05-server-classes) $(call common_of,05-server-classes) \
		$(OUT)/.flags
	@mkdir -p $(@D)
	$(PROGRAM_COMPILE) -pthread -I$(SRC)/05-server-classes \
		-Ilessons/05-server-classes -I$(COMMON) -Itests -o $@ \
		$(filter %.c,$^) -pthread
