# Lesson 02: the programs it builds and the sources of each, relative to
# the lesson folder (lessons/common/np.c is linked into every program).
02_PROGRAMS := client
02_client := client.c
