# Lesson 01: the programs it builds and the sources of each, relative to
# the lesson folder (lessons/common/np.c is linked into every program).
01_PROGRAMS := hello-server
01_hello-server := hello-server.c

# hello-check calls hello-server.c's functions directly, where no client
# can show what they do (tests/hello-check.c): it includes the file, so
# it is built from the same copy as the program, never linked with it.
01_TESTS = $(OUT)/01-hello-server/hello-check
$(OUT)/01-hello-server/hello-check: tests/hello-check.c \
		$(call src_path,01-hello-server,hello-server.c) \
		$(call headers_of,01-hello-server) $(call common_of,01-hello-server) \
		$(OUT)/.flags
	@mkdir -p $(@D)
	$(PROGRAM_COMPILE) -I$(SRC)/01-hello-server -Ilessons/01-hello-server \
		-I$(COMMON) -o $@ tests/hello-check.c $(call common_of,01-hello-server)
