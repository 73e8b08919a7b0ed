# Lesson 01: the programs it builds and the sources of each, relative to
# the lesson folder (lessons/common/np.c is linked into every program).
01_PROGRAMS := hello-server
01_hello-server := hello-server.c
