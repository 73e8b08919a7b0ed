# Lesson 05: the programs it builds and the sources of each, relative to
# the lesson folder (lessons/common/np.c is linked into every program).
05_PROGRAMS := single-server thread-server fork-server poll-server \
	chat-client loadgen
05_single-server := single-server.c lines.c net.c
05_thread-server := thread-server.c lines.c net.c
05_fork-server := fork-server.c lines.c net.c
05_poll-server := poll-server.c lines.c net.c
05_chat-client := chat-client.c lines.c net.c
05_loadgen := loadgen.c net.c
05_CFLAGS := -pthread
05_LDLIBS := -pthread
