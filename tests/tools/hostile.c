/* tests/tools/hostile.c - what a hostile submission tries first thing,
 * appended to a lesson's solution by tests/tools/grading.bats: read a
 * hidden test, change the grader's files, write its own results. Each
 * attempt and its outcome is a line of LOGFILE (the test names it). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

static void np_hostile_try(int log, const char *what, const char *dir,
                           const char *file, int flags)
{
	char path[4096], line[4200];
	int fd, n;

	if (dir == NULL)
		return;
	snprintf(path, sizeof path, "%s/%s", dir, file);
	fd = open(path, flags, 0644);
	if (fd >= 0) {
		if (flags == O_RDONLY)
			(void)!read(fd, line, sizeof line);
		else
			(void)!write(fd, "{\"score\": 1000}\n", 16);
		close(fd);
	}
	n = snprintf(line, sizeof line, "%s %s: %s\n", what, path,
	             fd >= 0 ? "DONE" : strerror(errno));
	(void)!write(log, line, (size_t)n);
}

__attribute__((constructor)) static void np_hostile(void)
{
	int log = open("LOGFILE", O_WRONLY | O_APPEND | O_CREAT, 0666);

	if (log < 0)
		return;
	np_hostile_try(log, "read", getenv("NP_ROOT"),
	               "tests-extra/01-secret.bats", O_RDONLY);
	np_hostile_try(log, "write", getenv("NP_ROOT"), "tools/grade.awk",
	               O_WRONLY | O_APPEND);
	np_hostile_try(log, "write", getenv("NP_ROOT"),
	               "tests/01-hello-server.bats", O_WRONLY | O_TRUNC);
	np_hostile_try(log, "write", getenv("RESULTS"), "results.json",
	               O_WRONLY | O_CREAT | O_TRUNC);
	np_hostile_try(log, "write", getenv("GRADE_DIR"), "grade.json",
	               O_WRONLY | O_CREAT | O_TRUNC);
	close(log);
}
