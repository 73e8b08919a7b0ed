# Lesson 04: the programs it builds and the sources of each, relative to
# the lesson folder (lessons/common/np.c is linked into every program;
# NN_COMMON names the other common files they link).
04_COMMON := np-net.c
04_PROGRAMS := single-server thread-server fork-server poll-server \
	chat-client loadgen
04_single-server := single-server.c lines.c net.c
04_thread-server := thread-server.c lines.c net.c
04_fork-server := fork-server.c lines.c net.c
04_poll-server := poll-server.c lines.c net.c
04_chat-client := chat-client.c lines.c
04_loadgen := loadgen.c
04_CFLAGS := -pthread
04_LDLIBS := -pthread
