#!/usr/bin/env bats
# The grading tools, tested as the lessons are: make grade, progress,
# watch, dist-student and dist-reference, the skeletons and their header
# line, check-errors, CI's list of jobs and the Gradescope autograder, run
# as a user runs them, on lesson 01 (the skeleton, the solution, broken
# copies of it) unless the whole course is the point. Run by `make
# test-tools`.

load ../lib/harness

setup() {
	T=$BATS_TEST_TMPDIR
	# The lessons' sizes, read from their test files, so that these tests
	# follow them: N1 tests in lesson 01, P1 of them named with a TODO
	# (a point each; the other two are usage tests), N2 in lesson 02.
	N1=$(grep -c '^@test ' "$NP_ROOT/tests/01-hello-server.bats")
	P1=$(grep -c '^@test "TODO(' "$NP_ROOT/tests/01-hello-server.bats")
	N2=$(grep -c '^@test ' "$NP_ROOT/tests/02-client.bats")
	DOC=$NP_ROOT/build/tests/doc-check
	BG_PID=
	T_CLEAN=()
	# The autograder's student: a user no file here belongs to (as root;
	# as anyone else the autograder runs the submission as that user).
	STUDENT_ID=61234:61234
}

teardown() {
	((${#T_CLEAN[@]} == 0)) || rm -rf "${T_CLEAN[@]}"
	if [[ -n $BG_PID ]]; then
		kill -TERM -- "-$BG_PID" 2>/dev/null || true
		np_until 10 group_gone "$BG_PID" || true
		kill -KILL -- "-$BG_PID" 2>/dev/null || true
	fi
	if [[ -z ${BATS_TEST_COMPLETED:-} && -n ${output:-} ]]; then
		echo "--- what the command printed ---"
		printf '%s\n' "$output" | tail -n 60
	fi
}

# group_gone PID: no process of the group PID is left.
group_gone() {
	! kill -0 -- "-$1" 2>/dev/null
}

# tool COMMAND...: run a course command as a user would: from the
# repository, in a clean environment (not bats' own), without bats' fd 3,
# with a bound (under the test's own, BATS_TEST_TIMEOUT: 400 s). Sets
# $status, $output (stdout) and $stderr.
tool() {
	run --separate-stderr env -i PATH="$PATH" HOME="$HOME" LANG=C.UTF-8 \
		TMPDIR="${TMPDIR:-/tmp}" ${CC:+CC="$CC"} timeout -k 10 360 "$@" 3>&-
}

# q FILE QUERY: one value of a JSON file (doc-check json FILE QUERY).
q() {
	"$DOC" json "$1" "$2"
}

# sum FILE QUERY: the sum of the numbers QUERY selects.
sum() {
	local n total=0
	while IFS= read -r n; do
		total=$((total + n))
	done < <("$DOC" json "$1" "$2")
	echo "$total"
}

# lesson01 SRC: a copy of lesson 01's reference solution in SRC.
lesson01() {
	mkdir -p "$1/01-hello-server"
	cp "$NP_ROOT"/solutions/01-hello-server/*.c "$1/01-hello-server/"
}

# classroom_agrees FILE...: what GitHub Classroom's reporter makes of
# these runners' results (classroom-resources/autograding-grading-reporter
# v1, src/): its table scores a runner passed / tests x max_score, its
# grand total is passed / tests of them all, and it records the sum of the
# tests' scores out of the sum of max_score. Fails unless the three agree;
# sets CLASSROOM_SCORE and CLASSROOM_MAX, what it records.
classroom_agrees() {
	local f n max passed score all_n=0 all_passed=0
	CLASSROOM_SCORE=0 CLASSROOM_MAX=0
	for f in "$@"; do
		"$DOC" json "$f" || fail "$f is not valid JSON"
		n=$(q "$f" 'tests#')
		max=$(q "$f" max_score)
		passed=$(q "$f" 'tests[*].status' | grep -cx pass || true)
		score=$(sum "$f" 'tests[*].score')
		((n > 0)) || fail "$f: no test (the reporter divides by 0)"
		((passed * max == score * n)) ||
			fail "$f: the reporter's table shows $passed/$n x $max, it records $score of $max"
		all_n=$((all_n + n)) all_passed=$((all_passed + passed))
		CLASSROOM_SCORE=$((CLASSROOM_SCORE + score))
		CLASSROOM_MAX=$((CLASSROOM_MAX + max))
	done
	((all_passed * CLASSROOM_MAX == CLASSROOM_SCORE * all_n)) ||
		fail "the reporter's grand total is $all_passed/$all_n, it records $CLASSROOM_SCORE of $CLASSROOM_MAX"
}

# valid_reports DIR N: grade.json, classroom.json and the lesson-01 JUnit
# file in DIR are well-formed and agree with each other on N tests.
valid_reports() {
	local dir=$1 n=$2 x=$1/reports/01-hello-server.xml
	"$DOC" json "$dir/grade.json" || fail "grade.json is not valid JSON"
	"$DOC" json "$dir/classroom.json" || fail "classroom.json is not valid JSON"
	"$DOC" xml "$x" || fail "$x is not well-formed XML"
	assert_equal "$(q "$dir/grade.json" 'tests#')" "$n"
	assert_equal "$("$DOC" xml "$x" count testcase)" "$n"
	# The score is the sum of the tests' scores, everywhere; Classroom's
	# reporter shows and records the same.
	assert_equal "$(sum "$dir/grade.json" 'tests[*].score')" "$(q "$dir/grade.json" score)"
	assert_equal "$(sum "$dir/grade.json" 'tests[*].max_score')" "$(q "$dir/grade.json" extra_data.max_score)"
	classroom_agrees "$dir/classroom.json"
	assert_equal "$CLASSROOM_SCORE" "$(q "$dir/grade.json" score)"
	assert_equal "$CLASSROOM_MAX" "$(q "$dir/grade.json" extra_data.max_score)"
	assert_equal "$(q "$dir/classroom.json" version)" 1
	assert_equal "$("$DOC" xml "$x" attr property value | sed -n 1p)" "$(q "$dir/grade.json" score)"
	# Every test carries our own fields.
	assert_equal "$(q "$dir/grade.json" 'tests[*].lesson' | sort -u)" 01-hello-server
	assert_equal "$(q "$dir/grade.json" 'tests[0].todo[0]')" 01.1
}

@test "grade: the untouched skeleton scores 0, every TODO unfinished, with valid reports" {
	tool make -C "$NP_ROOT" --no-print-directory grade LESSON=01 GRADE_DIR="$T"
	assert_success
	assert_line --regexp "^01-hello-server +2/$N1 +0/$P1 +0/6\$"
	assert_line "score: 0 of $P1 points (0%)"
	valid_reports "$T" "$N1"
	assert_equal "$(q "$T/grade.json" score)" 0
	assert_equal "$(q "$T/grade.json" extra_data.todos_done)" 0
	assert_equal "$(q "$T/grade.json" extra_data.todos)" 6
	# Each test worth points failed and says which TODO is missing.
	assert_equal "$(q "$T/grade.json" 'tests[0].status')" failed
	assert_equal "$(q "$T/grade.json" 'tests[0].max_score')" 1
	[[ $(q "$T/grade.json" 'tests[0].output') == *"TODO(01.1) not implemented"* ]] ||
		fail "test 1's output does not name the missing TODO: $(q "$T/grade.json" 'tests[0].output')"
	assert_equal "$("$DOC" xml "$T/reports/01-hello-server.xml" count failure)" "$((N1 - 2))"
	# The two usage tests pass on the given code and are worth nothing.
	assert_equal "$(q "$T/grade.json" 'tests[*].status' | grep -c passed)" 2
	# A failure's first line is what went wrong; bats' trace of where the
	# test stopped comes after it, in JUnit, results.json and Classroom.
	! "$DOC" xml "$T/reports/01-hello-server.xml" attr failure message | grep -E '^\((from function|in test file) ' ||
		fail "a JUnit failure message starts with bats' trace"
	[[ $(q "$T/grade.json" 'tests[0].output') == *$'\nwhere the test stopped (bats):\n(from function '* ]] ||
		fail "bats' trace is not after the message: $(q "$T/grade.json" 'tests[0].output')"
	local i m
	for ((i = 0; i < P1; i++)); do
		m=$(q "$T/classroom.json" "tests[$i].message")
		[[ $m != "("* ]] || fail "Classroom message $i starts with bats' trace: $m"
	done
}

@test "grade: the reference solution scores full marks, in every report" {
	tool make -C "$NP_ROOT" --no-print-directory grade SRC=solutions LESSON=01 GRADE_DIR="$T"
	assert_success
	assert_line --regexp "^01-hello-server +$N1/$N1 +$P1/$P1 +6/6\$"
	assert_line "score: $P1 of $P1 points (100%)"
	valid_reports "$T" "$N1"
	assert_equal "$(q "$T/grade.json" score)" "$P1"
	assert_equal "$(q "$T/grade.json" 'tests[*].status' | sort -u)" passed
	assert_equal "$(q "$T/classroom.json" status)" pass
	assert_equal "$(q "$T/grade.json" extra_data.todos_done)" 6
	assert_equal "$("$DOC" xml "$T/reports/01-hello-server.xml" count failure)" 0
	assert_equal "$("$DOC" xml "$T/reports/01-hello-server.xml" count error)" 0
}

@test "grade: a lesson that does not compile scores 0 and shows the compiler's message" {
	lesson01 "$T/src"
	printf 'int broken(void) { return }\n' >>"$T/src/01-hello-server/hello-server.c"
	tool make -C "$NP_ROOT" --no-print-directory grade SRC="$T/src" OUT="$T/bin" \
		LESSON=01 GRADE_DIR="$T/g"
	assert_success
	assert_line --regexp "^01-hello-server +0/$N1 +0/$P1 +0/6 +does not compile\$"
	assert_output --partial 'hello-server.c'
	assert_output --partial 'error'
	valid_reports "$T/g" "$N1"
	assert_equal "$(q "$T/g/grade.json" score)" 0
	assert_equal "$(q "$T/g/grade.json" 'extra_data.lessons[0].compiled')" false
	[[ $(q "$T/g/grade.json" 'tests[5].output') == *"does not compile"*"hello-server.c:"*"error"* ]] ||
		fail "test 6's output lacks the compiler's message: $(q "$T/g/grade.json" 'tests[5].output')"
	assert_equal "$("$DOC" xml "$T/g/reports/01-hello-server.xml" count error)" "$N1"
}

@test "check: a failed test's report opens with what went wrong; bats' trace of where it stopped comes last" {
	tool make -C "$NP_ROOT" --no-print-directory check LESSON=01 NP_BATS_ARGS='--filter TODO.01\.1.'
	assert_failure
	local n
	n=$(grep -c '^not ok ' <<<"$output" || true)
	((n >= 3)) || fail "expected the skeleton to fail its TODO(01.1) tests, $n failed"
	# The line after each 'not ok': the test's message, never the trace.
	! grep -A1 '^not ok ' <<<"$output" | grep -E '^# \((from function|in test file) ' ||
		fail "a report opens with bats' trace"
	assert_equal "$(grep -c '^# where the test stopped (bats):$' <<<"$output")" "$n"
	# The trace right under that line.
	assert_equal "$(grep -A1 '^# where the test stopped (bats):$' <<<"$output" | grep -cE '^# \((from function|in test file) ')" "$n"
}

@test "grade: a warning stops a lesson, named first; GRADE_WERROR=0 grades it with the warning shown" {
	lesson01 "$T/src"
	# What another compiler version may warn about: an unused variable.
	printf 'int np_warns(void);\nint np_warns(void) { int unused; return 0; }\n' \
		>>"$T/src/01-hello-server/hello-server.c"
	tool make -C "$NP_ROOT" --no-print-directory grade SRC="$T/src" OUT="$T/bin" \
		LESSON=01 GRADE_DIR="$T/g"
	assert_success
	assert_line --regexp "^01-hello-server +0/$N1 +0/$P1 +0/6 +does not compile\$"
	assert_line "01-hello-server does not compile with the course's flags (every warning is an error), so every test in it scores 0."
	assert_line --regexp "^First: .*hello-server.c:[0-9]+:[0-9]+: (error|warning): unused variable .unused."
	[[ $(q "$T/g/grade.json" 'tests[0].output') == "not run: 01-hello-server does not compile with the course's flags"*$'\nFirst: '*"unused"* ]] ||
		fail "a test's output does not start with why: $(q "$T/g/grade.json" 'tests[0].output' | head -n 3)"
	# The instructor's choice: warnings shown, not fatal; full marks.
	tool make -C "$NP_ROOT" --no-print-directory grade SRC="$T/src" OUT="$T/bin" \
		LESSON=01 GRADE_DIR="$T/g" GRADE_WERROR=0
	assert_success
	assert_line "score: $P1 of $P1 points (100%)"
	assert_line --regexp "^01-hello-server compiles with warnings \(GRADE_WERROR=0"
	assert_line --regexp "^First: .*hello-server.c:[0-9]+:[0-9]+: warning: unused variable .unused."
	[[ $(q "$T/g/grade.json" output) == *"compiles with warnings"* ]] ||
		fail "results.json does not show the warning"
	tool make -C "$NP_ROOT" --no-print-directory grade LESSON=01 GRADE_DIR="$T/g" GRADE_WERROR=no
	assert_failure
	[[ $stderr == *"GRADE_WERROR=no: expected 0 or 1"* ]] || fail "no word on GRADE_WERROR=no"
}

@test "grade: TESTS_EXTRA adds hidden tests; tags set points and visibility; odd bytes stay valid" {
	# Not a heredoc here: bats would rewrite its @test lines.
	mkdir -p "$T/extra"
	cp "$BATS_TEST_DIRNAME/fixtures/01-hidden.bats" "$T/extra/"
	tool make -C "$NP_ROOT" --no-print-directory grade SRC=solutions LESSON=01 \
		GRADE_DIR="$T/g" TESTS_EXTRA="$T/extra"
	assert_success
	# The hidden file adds two tests: one worth 3 that passes, one worth
	# 2 that fails.
	assert_line --regexp "^01-hello-server +$((N1 + 1))/$((N1 + 2)) +$((P1 + 3))/$((P1 + 5)) +5/6\$"
	valid_reports "$T/g" "$((N1 + 2))"
	assert_equal "$(q "$T/g/grade.json" "tests[$N1].name")" "TODO(01.5) hidden: GET / answers 200"
	assert_equal "$(q "$T/g/grade.json" "tests[$N1].score")" 3
	assert_equal "$(q "$T/g/grade.json" "tests[$N1].visibility")" after_due_date
	assert_equal "$(q "$T/g/grade.json" "tests[$((N1 + 1))].score")" 0
	assert_equal "$(q "$T/g/grade.json" "tests[$((N1 + 1))].max_score")" 2
	assert_equal "$(q "$T/g/grade.json" "tests[$((N1 + 1))].status")" failed
	[[ $(q "$T/g/grade.json" "tests[$((N1 + 1))].output") == *'<&> "quoted" ]]>'* ]] ||
		fail "the failing test's output was not kept: $(q "$T/g/grade.json" "tests[$((N1 + 1))].output")"
	# The summary students see at once counts only published tests: not
	# the one after the due date (worth 3, passing).
	local seen
	seen=$(q "$T/g/grade.json" output)
	[[ $seen == *"score: $P1 of $((P1 + 2)) points"*"1 more test is not shown until your instructor publishes it"* ]] ||
		fail "grade.json's output counts a test students may not see yet: $seen"
	[[ $seen =~ 01-hello-server\ +$N1/$((N1 + 1))\ +$P1/$((P1 + 2))\  ]] ||
		fail "grade.json's lesson row counts a test students may not see yet: $seen"
}

@test "grade: tests/weights sets points by TODO, tag or lesson; the first line that matches wins, a test's own points tag over all" {
	local n11 want
	n11=$(grep -c '^@test "[^"]*TODO(01\.1)' "$NP_ROOT/tests/01-hello-server.bats")
	printf '# by TODO, then tag, then lesson\ntodo:01.1 3\ntag:robust 5\nlesson:01 2\n' >"$T/weights"
	mkdir -p "$T/extra"
	printf '# bats test_tags=robust\n@test "extra: robust" {\n\ttrue\n}\n# bats test_tags=points:7,robust\n@test "extra: its own points" {\n\ttrue\n}\n' \
		>"$T/extra/01-w.bats"
	tool env GRADE_WEIGHTS="$T/weights" make -C "$NP_ROOT" --no-print-directory grade \
		SRC=solutions LESSON=01 GRADE_DIR="$T/g" TESTS_EXTRA="$T/extra"
	assert_success
	want=$((n11 * 3 + (N1 - n11) * 2 + 5 + 7))
	assert_line "score: $want of $want points (100%)"
	assert_equal "$(q "$T/g/grade.json" "tests[$N1].max_score")" 5
	assert_equal "$(q "$T/g/grade.json" "tests[$((N1 + 1))].max_score")" 7
	classroom_agrees "$T/g/classroom.json"
	assert_equal "$CLASSROOM_MAX" "$want"
	# The file as shipped keeps the scores: a point per TODO test.
	tool make -C "$NP_ROOT" --no-print-directory grade SRC=solutions LESSON=01 GRADE_DIR="$T/g"
	assert_success
	assert_line "score: $P1 of $P1 points (100%)"
	# A line the grader cannot read stops it, and says where.
	printf 'todo:1.1 3\n' >"$T/weights"
	tool env GRADE_WEIGHTS="$T/weights" make -C "$NP_ROOT" --no-print-directory grade \
		SRC=solutions LESSON=01 GRADE_DIR="$T/g"
	assert_failure
	[[ $stderr == *"$T/weights:1: expected todo:NN.k N"* ]] || fail "no word on the bad line: $stderr"
}

@test "grade: it exits non-zero when the grading itself is broken, not the code" {
	tool make -C "$NP_ROOT" --no-print-directory grade LESSON=01 GRADE_DIR="$T/g" \
		TESTS_EXTRA="$T/missing"
	assert_failure 2
	[[ $stderr == *"TESTS_EXTRA=$T/missing is not a folder"* ]] || fail "stderr: $stderr"

	mkdir -p "$T/extra"
	printf '@test "named with $HOME" {\n\ttrue\n}\n' >"$T/extra/01-x.bats"
	tool make -C "$NP_ROOT" --no-print-directory grade LESSON=01 GRADE_DIR="$T/g" \
		TESTS_EXTRA="$T/extra"
	assert_failure 2 # make's status; tools/grade's is 3
	[[ $stderr == *"01-x.bats:1: a test name with"* && $stderr == *"Error 3"* ]] ||
		fail "stderr: $stderr"

	printf '# bats test_tags=points:many\n@test "x" {\n\ttrue\n}\n' >"$T/extra/01-x.bats"
	tool make -C "$NP_ROOT" --no-print-directory grade LESSON=01 GRADE_DIR="$T/g" \
		TESTS_EXTRA="$T/extra"
	assert_failure 2
	[[ $stderr == *"points tag 'points:many'"* && $stderr == *"Error 3"* ]] ||
		fail "stderr: $stderr"
}

@test "progress: an untouched lesson is all 'todo', told at once, without running its tests" {
	tool make -C "$NP_ROOT" --no-print-directory progress LESSON=01
	assert_success
	# It ran none, so it counts none passing (make grade, which runs
	# them, finds the usage tests passing: the two must not disagree).
	assert_line "01-hello-server: 0 of 6 TODOs done, not started (its $N1 tests not run)"
	assert_line --regexp '^  01\.1 +todo +01\.2 +todo +01\.3 +todo +01\.4 +todo +01\.5 +todo +01\.6 +todo$'
	assert_line --partial 'next: TODO(01.1): its stub is still there'
	[[ $stderr != *"running the tests"* ]] || fail "it ran the tests: $stderr"
}

@test "progress: the reference solution is all 'done' (its //: stub lines are comments)" {
	tool make -C "$NP_ROOT" --no-print-directory progress SRC=solutions LESSON=02
	assert_success
	assert_line "02-client: 5 of 5 TODOs done, $N2 of $N2 tests pass"
	assert_line --regexp '^  02\.1 +done +02\.2 +done +02\.3 +done +02\.4 +done +02\.5 +done$'
}

@test "progress: done, failing (written, a test fails) and todo (stub left), and what is next" {
	# Lesson 05 with TODO(05.8) reverted to its stub: a test names both
	# 05.7 and 05.8, so 05.7 fails too although it is written.
	mkdir -p "$T/src/05-server-classes"
	cp "$NP_ROOT"/solutions/05-server-classes/*.c "$T/src/05-server-classes/"
	awk -v revert=05.8 -f "$NP_ROOT/tools/skeleton.awk" \
		"$NP_ROOT/solutions/05-server-classes/sockserver-mixins.c" \
		>"$T/src/05-server-classes/sockserver-mixins.c"
	tool make -C "$NP_ROOT" --no-print-directory progress SRC="$T/src" OUT="$T/bin" LESSON=05
	assert_success
	# What to expect, read from the lesson: the tests naming 05.8 fail,
	# the other TODOs they name are failing, the rest done.
	local bats=$NP_ROOT/tests/05-server-classes.bats ids shared tests broken id state
	ids=$(grep -oh 'TODO(05\.[0-9]*)' "$NP_ROOT"/solutions/05-server-classes/*.c | sort -u | grep -c .)
	shared=$(grep '^@test .*TODO(05\.8)' "$bats" | grep -o '05\.[0-9]*' | sort -u | grep -vx '05\.8')
	tests=$(grep -c '^@test ' "$bats")
	broken=$(grep -c '^@test .*TODO(05\.8)' "$bats")
	assert_line "05-server-classes: $((ids - 1 - $(wc -l <<<"$shared"))) of $ids TODOs done, $((tests - broken)) of $tests tests pass"
	for id in $(seq -f '05.%g' 1 "$ids"); do
		state=done
		[[ $id == 05.8 ]] && state=todo
		grep -qx "$id" <<<"$shared" && state=failing
		assert_line --regexp "[[:space:]]${id/./\\.} +$state( |\$)"
	done
	assert_line --partial 'next: TODO(05.8): its stub is still there'
}

@test "watch: runs the checks, then again when a source file changes (polling)" {
	lesson01 "$T/src"
	: >"$T/watch.log"
	# Its own process group, so teardown stops make and bats under it too.
	setsid env -i PATH="$PATH" HOME="$HOME" WATCH_POLL=1 \
		NP_BATS_ARGS="--filter usage" make -C "$NP_ROOT" --no-print-directory \
		watch SRC="$T/src" OUT="$T/bin" LESSON=01 >"$T/watch.log" 2>&1 </dev/null 3>&- &
	BG_PID=$!
	runs_done() { # N: the log holds N "waiting for a change" lines
		(($(grep -c 'waiting for a change' "$T/watch.log") >= $1))
	}
	wait_lines() { # N: wait (60 s at most) until watch has done N runs
		np_until 60 runs_done "$1" && return 0
		output=$(cat "$T/watch.log")
		fail "watch did not finish run $1 within 60 s"
	}
	wait_lines 1
	grep -q '^ok 1 usage' "$T/watch.log" || { output=$(cat "$T/watch.log"); fail "no test ran"; }
	echo '/* a change */' >>"$T/src/01-hello-server/hello-server.c"
	wait_lines 2
	assert_equal "$(grep -c '== watch: make check LESSON=01-hello-server' "$T/watch.log")" 2
	grep -q 'polling' "$T/watch.log" || { output=$(cat "$T/watch.log"); fail "not polling"; }
}

@test "dist-student: no solution code in the release, and it passes its own self-check" {
	tool "$NP_ROOT/tools/dist-student" "$T/dist"
	assert_success
	assert_line --partial "self-check: no solutions/, no solution file, no test but the lessons'"
	assert_line --regexp '^self-check: make grade: 0 points, no TODO done, every lesson compiles +ok$'
	assert_equal "$(grep -c '^self-check: .* ok$' <<<"$output")" 5
	assert_line 'dist-student: the release passed its self-check'
	rel=$T/dist/netprog-student
	[[ -f $T/dist/netprog-student.tar.gz && ! -e $rel/solutions ]] || fail "no tarball, or solutions/ in it"
	! tar -tzf "$T/dist/netprog-student.tar.gz" | grep -E '/(solutions|\.ci)/' || fail "the tarball holds instructor files"
	# No solution file is in the release (its header line aside), and no
	# line that only a solution block holds is in the file students get
	# instead, which opens with the header line.
	header=$(awk -v revert=header -f "$NP_ROOT/tools/skeleton.awk")
	while IFS= read -r sol; do
		rel_file=$rel/lessons/${sol#"$NP_ROOT"/solutions/}
		assert_equal "$(head -n 1 "$rel_file")" "$header"
		sed 1d "$rel_file" | cmp -s "$sol" - && fail "$rel_file is the solution"
		skel=$NP_ROOT/lessons/${sol#"$NP_ROOT"/solutions/}
		awk '/\/\* BEGIN SOLUTION \*\//{on=1;next} /\/\* END SOLUTION \*\//{on=0} on' "$sol" |
			sed 's/^[[:space:]]*//' | awk 'length > 12' | sort -u >"$T/lines"
		grep -vxFf <(sed 's/^[[:space:]]*//' "$skel") "$T/lines" >"$T/only" || true
		[[ -s $T/only ]] || continue
		if leak=$(sed 's/^[[:space:]]*//' "$rel_file" | grep -xFf "$T/only"); then
			fail "solution code from $sol in the release: $leak"
		fi
	done < <(find "$NP_ROOT/solutions" -type f -name '*.c')
	grep -q 'instructor-only' "$rel/README.md" && fail "README.md still has instructor-only sections"
	! grep -nE 'make (test|skeletons|verify-todos|check-errors|dist-|gradescope)|tools/(skeleton|verify|check-|dist-|gradescope)|tests/tools|\.ci/' "$rel/README.md" ||
		fail "README.md names what only the instructor has"
	# make help lists only what works in the release.
	run make -C "$rel" --no-print-directory help
	assert_success
	! grep -nE '^  (test|skeletons|verify-todos|check-errors|dist-student|dist-reference|gradescope|test-tools|fuzz) |SRC=solutions|FUZZ_S' <<<"$output" ||
		fail "make help in the release offers what only the instructor has"
	assert_line --regexp '^  check +build and test your lesson'
	# make format-check works outside a git clone (no git ls-files): the
	# release here is not in one.
	run env GIT_CEILING_DIRECTORIES="$T" make -C "$rel" --no-print-directory format-check
	assert_success
}

# The header line, from the one place that writes it.
header_line() {
	awk -v revert=header -f "$NP_ROOT/tools/skeleton.awk"
}

@test "skeletons: each generated file opens with the header line, and no other file does" {
	header=$(header_line)
	# One line of C comment that clang-format leaves alone (80 columns),
	# saying what made the file, from where.
	[[ $header == '/* '*' */' && ${#header} -le 80 && $header != *'*/'*'*/' ]] ||
		fail "not one short C comment: $header"
	[[ $header == *'make skeletons'* && $header == *'solutions/'* ]] ||
		fail "the header line does not say make skeletons made it from solutions/: $header"
	cd "$NP_ROOT"
	n=0
	while IFS= read -r sol; do
		skel=lessons/${sol#solutions/}
		assert_equal "$(head -n 1 "$skel")" "$header"
		assert_equal "$(sed -n 2p "$skel")" "$(head -n 1 "$sol")"
		grep -qxF "$header" "$sol" && fail "$sol holds the header line"
		n=$((n + 1))
	done < <(find solutions -type f | sort)
	((n > 0)) || fail "no solution file"
	assert_equal "$(grep -rlxF "$header" lessons | wc -l)" "$n"
	run tools/skeletons check
	assert_success
}

@test "skeletons: check finds a header line edited by hand, or left on a file whose solution is gone" {
	repo=$T/repo
	mkdir -p "$repo/tools"
	cp "$NP_ROOT/tools/skeletons" "$NP_ROOT/tools/skeleton.awk" "$repo/tools/"
	cp -R "$NP_ROOT/solutions" "$NP_ROOT/lessons" "$repo/"
	skel=$repo/lessons/01-hello-server/hello-server.c
	sed -i '1s/make skeletons/hand/' "$skel"
	run "$repo/tools/skeletons" check
	assert_failure
	assert_output --partial 'lessons/01-hello-server/hello-server.c is not the skeleton of solutions/01-hello-server/hello-server.c'
	run "$repo/tools/skeletons"
	assert_success
	assert_output 'wrote lessons/01-hello-server/hello-server.c'
	assert_equal "$(head -n 1 "$skel")" "$(header_line)"

	rm "$repo/solutions/02-client/client.c"
	run "$repo/tools/skeletons" check
	assert_failure
	assert_output --partial 'lessons/02-client/client.c says it is generated, but solutions/02-client/client.c is gone'
	# A given file (no header line) without a solution is fine.
	sed -i 1d "$repo/lessons/02-client/client.c"
	run "$repo/tools/skeletons" check
	assert_success

	# A solution that holds the header line (a skeleton copied back) is refused.
	cp "$skel" "$repo/solutions/01-hello-server/hello-server.c"
	run "$repo/tools/skeletons" check
	assert_failure
	assert_output --partial 'hello-server.c:1: a solution holds the header line of a skeleton'
}

@test "reference: a solution becomes clean code: no TODO comment, marker, stub or header line, no stray blank line" {
	fx=$BATS_TEST_DIRNAME/fixtures
	run awk -v revert=none -f "$NP_ROOT/tools/skeleton.awk" "$fx/blocks.c.solution"
	assert_success
	printf '%s\n' "$output" >"$T/blocks.c"
	diff -u "$fx/blocks.c.reference" "$T/blocks.c" || fail "the reference of blocks.c.solution is not blocks.c.reference"
	cc -std=c17 -Wall -Wextra -Wpedantic -Wmissing-prototypes -Werror -c -o "$T/blocks.o" "$T/blocks.c" ||
		fail "the reference does not compile warning-free"

	# Every solution: only lines taken away, none of them the code.
	tools_dir=$NP_ROOT/tools
	"$tools_dir/skeletons" reference "$T/ref"
	while IFS= read -r sol; do
		ref=$T/ref/${sol#"$NP_ROOT"/solutions/}
		! grep -nE 'TODO\([0-9][0-9]\.[0-9]+\)|(BEGIN|END) SOLUTION|^[[:space:]]*//:' "$ref" ||
			fail "$ref keeps a TODO, a marker or a stub"
		grep -qxF "$(header_line)" "$ref" && fail "$ref holds the header line"
		! diff "$sol" "$ref" | grep '^>' || fail "$ref has lines its solution has not"
		if [[ -n $(awk -v revert=ids -f "$tools_dir/skeleton.awk" "$sol") ]] &&
			cmp -s "$sol" "$ref"; then
			fail "$ref: nothing was taken out of $sol"
		fi
	done < <(find "$NP_ROOT/solutions" -type f | sort)
	if command -v clang-format >/dev/null; then
		cp "$NP_ROOT/.clang-format" "$T/"
		(cd "$T" && clang-format --dry-run -Werror blocks.c $(find ref -name '*.[ch]')) ||
			fail "a reference is not clang-formatted"
	fi

	# What it cannot drop cleanly, it refuses.
	printf 'int f(void);\nint f(void)\n{\n\treturn 0; /* TODO(99.1): x */\n}\n' >"$T/inline.c"
	run awk -v revert=none -f "$NP_ROOT/tools/skeleton.awk" "$T/inline.c"
	assert_failure
	assert_output --partial 'inline.c:4: the reference drops TODO comments, and this TODO(NN.k) does not open one'
	printf 'int f(void);\nint f(void)\n{\n\t//: return 1;\n\treturn 0;\n}\n' >"$T/stray.c"
	run awk -v revert=none -f "$NP_ROOT/tools/skeleton.awk" "$T/stray.c"
	assert_failure
	assert_output --partial 'stray.c:4: a //: stub line that does not follow an END SOLUTION line'
}

@test "dist-student: a release that fails its self-check leaves no tarball to hand out" {
	# A compiler that fails: the self-check's make build cannot pass.
	CC=false tool env LESSON=01 "$NP_ROOT/tools/dist-student" "$T/dist"
	assert_failure
	assert_line --regexp '^self-check: make build: .*FAILED$'
	assert_line --partial 'the release failed its self-check; do not hand it out'
	[[ ! -e $T/dist/netprog-student.tar.gz ]] || fail "the tarball is still there"
	[[ -d $T/dist/netprog-student ]] || fail "the tree to look at is gone"
}

@test "dist-reference: the student release with clean references, no header line, passing its self-check" {
	tool env LESSON=01 "$NP_ROOT/tools/dist-student" --reference "$T/dist"
	assert_success
	assert_line --regexp '^self-check: no TODO\(NN.k\), //: stub or header line in a C file +ok$'
	assert_line --regexp '^self-check: make build: the reference compiles warning-free +ok$'
	assert_line --regexp "^self-check: make check LESSON=01: all $N1 tests pass +ok\$"
	! grep -E '^self-check: .*FAILED$' <<<"$output" || fail "a check failed"
	assert_line 'dist-reference: the release passed its self-check'
	rel=$T/dist/netprog-reference
	[[ -f $T/dist/netprog-reference.tar.gz && ! -e $rel/solutions && ! -e $rel/tests/tools ]] ||
		fail "no tarball, or instructor files in it"
	# The student release's files, each skeleton its solution's clean code.
	tool "$NP_ROOT/tools/dist-student" --no-check "$T/student"
	assert_success
	diff <(cd "$T/student/netprog-student" && find . -type f | sort) \
		<(cd "$rel" && find . -type f | sort) || fail "not the student release's files"
	while IFS= read -r sol; do
		f=lessons/${sol#"$NP_ROOT"/solutions/}
		awk -v revert=none -f "$NP_ROOT/tools/skeleton.awk" "$sol" | cmp -s - "$rel/$f" ||
			fail "$f is not the clean reference of its solution"
	done < <(find "$NP_ROOT/solutions" -type f | sort)
	! grep -rlxF "$(header_line)" "$rel" || fail "the header line is in the reference"
	# The students' README, under a note: the loop it describes starts
	# from skeletons, and here every test passes.
	assert_equal "$(sed -n 3p "$rel/README.md")" '**This is the reference release.** Each exercise file holds the'
	diff <(sed 3,7d "$rel/README.md") "$T/student/netprog-student/README.md" ||
		fail "the reference's README is not the students' under the note"
}

@test "check-errors: the course keeps the error contract, and each kind of breach is named" {
	tool "$NP_ROOT/tools/check-errors"
	assert_success
	assert_output --partial 'keep the error contract'
	# The fixtures hold one breach of each rule among calls that are fine
	# (a void loop's report, a thread's, output, main, comments, strings,
	# the START-UP section, an allowed name, _exit, np_todo), and the
	# shapes a line-by-line reading could miss or misread: a return type
	# on its own line, static inline, a call over two lines, a goto's
	# target, stderr by its number, a macro, err.h.
	tool "$NP_ROOT/tools/check-errors" "$NP_ROOT"/tests/tools/fixtures/contract-*.fixture
	assert_failure 1
	assert_equal "${#lines[@]}" 9
	assert_line --regexp 'contract-helper\.c\.fixture:4: log_it: prints in a helper file'
	assert_line --regexp 'contract-helper\.c\.fixture:21: LOG: prints in a helper file'
	assert_line --regexp 'contract-helper\.c\.fixture:26: parse: exits \(only main may'
	assert_line --regexp 'contract-program\.c\.fixture:5: helper: reports an error, but returns a value'
	assert_line --regexp 'contract-program\.c\.fixture:33: setup: exits \(only main may'
	assert_line --regexp 'contract-program\.c\.fixture:53: own_line: reports an error, but returns a value'
	assert_line --regexp 'contract-program\.c\.fixture:66: inline_helper: reports an error, but returns a value .*: fputs\(.*, stderr\);'
	assert_line --regexp 'contract-program\.c\.fixture:84: cleanup: reports an error, but returns a value'
	assert_line --regexp 'contract-program\.c\.fixture:91: FAIL: exits \(only main may'

	# A parenthesis that never closes stops the reading: said, not passed.
	printf 'int f(void)\n{\n\treturn g(1;\n}\n' >"$T/open.c"
	tool "$NP_ROOT/tools/check-errors" "$T/open.c"
	assert_failure 1
	assert_output "$T/open.c:3: a parenthesis never closes: the rest of the file was not checked"
}

@test "ci: ci.yml's jobs share out every step of .ci/run, each step in exactly one job" {
	cd "$NP_ROOT"
	grep -oE '^step [a-z0-9-]+' .ci/run | cut -d' ' -f2 | sort >"$T/steps"
	(($(wc -l <"$T/steps") > 10)) || fail ".ci/run has too few steps: $(cat "$T/steps")"
	[[ -z $(uniq -d "$T/steps") ]] || fail "a step named twice in .ci/run: $(uniq -d "$T/steps")"
	sed -nE 's/^ +steps: +//p' .github/workflows/ci.yml | tr ' ' '\n' | grep . | sort >"$T/jobs"
	diff "$T/steps" "$T/jobs" || fail "ci.yml's jobs (>) do not run .ci/run's steps (<) once each"
}

@test "gradescope: run_autograder grades a submission of loose files into results.json" {
	build_autograder 01
	[[ ! -e $T/gs/netprog/solutions ]] || fail "solutions/ in the autograder"
	mkdir -p "$T/sub"
	cp "$NP_ROOT/solutions/01-hello-server/hello-server.c" "$T/sub/"
	autograde "$T/sub"
	assert_success
	"$DOC" json "$T/res/results.json" || fail "results.json is not valid JSON"
	assert_equal "$(q "$T/res/results.json" score)" "$P1"
	assert_equal "$(q "$T/res/results.json" extra_data.max_score)" "$P1"
}

# build_autograder [LESSON]: the Gradescope autograder (make gradescope)
# in $GS, with the course's own test tools (its setup.sh would fetch them
# from the network). $GS is under /tmp, as /autograder is open to all: the
# student's user must reach the course (bats' own folder is root's alone).
build_autograder() {
	GS=$(mktemp -d /tmp/np-gs.XXXXXX)
	chmod 0755 "$GS"
	T_CLEAN+=("$GS")
	tool make -C "$NP_ROOT" --no-print-directory gradescope ${1:+LESSON=$1} GRADESCOPE_DIR="$GS/gs"
	assert_success
	ln -s "$GS/gs" "$T/gs"
	[[ -x $T/gs/run_autograder && -f $T/gs/setup.sh && -d $T/gs/netprog/lessons ]] ||
		fail "incomplete $T/gs"
	cp -R "$NP_ROOT/.tools" "$T/gs/netprog/.tools"
}

# the_results SCORE WHY: results.json is valid JSON with that score, and
# its output starts with WHY.
the_results() {
	"$DOC" json "$T/res/results.json" || fail "results.json is not valid JSON"
	assert_equal "$(q "$T/res/results.json" score)" "$1"
	[[ $(q "$T/res/results.json" output) == "$2"* ]] ||
		fail "results.json does not say why: $(cat "$T/res/results.json")"
}

# autograde SUBMISSION: run the Gradescope autograder built in $T/gs on
# SUBMISSION, for lesson 01, into $T/res (emptied first).
autograde() {
	rm -rf "$T/res"
	mkdir -p "$T/res"
	tool env AUTOGRADER_SOURCE="$GS/gs" SUBMISSION="$1" RESULTS="$T/res" \
		GRADE_AS=$STUDENT_ID "$GS/gs/run_autograder"
}

@test "gradescope: the sources are found by what they are: a whole repository with build/ and .git/, the lessons/ folder alone, or nothing to grade" {
	build_autograder 01
	# A whole repository: the solution in lessons/, the skeleton in a
	# release under build/ and in .git/ (which sort first by name).
	local repo=$T/repo skel=$NP_ROOT/lessons/01-hello-server/hello-server.c
	lesson01 "$repo/lessons"
	mkdir -p "$repo/build/dist/netprog-student/lessons/01-hello-server" "$repo/.git/lessons/01-hello-server"
	cp "$skel" "$repo/build/dist/netprog-student/lessons/01-hello-server/"
	cp "$skel" "$repo/.git/lessons/01-hello-server/"
	autograde "$repo"
	assert_success
	assert_equal "$(q "$T/res/results.json" score)" "$P1"
	# A stray loose copy of the skeleton at the top does not win over
	# the file in its lesson's folder.
	cp "$skel" "$repo/hello-server.c"
	autograde "$repo"
	assert_success
	assert_equal "$(q "$T/res/results.json" score)" "$P1"
	# The lessons/ folder itself.
	autograde "$repo/lessons"
	assert_success
	assert_equal "$(q "$T/res/results.json" score)" "$P1"
	# Nothing of the course: still a results.json, score 0, and why.
	mkdir -p "$T/none/build/lessons/01-hello-server"
	cp "$skel" "$T/none/build/lessons/01-hello-server/"
	echo 'print("hello")' >"$T/none/hello.py"
	autograde "$T/none"
	assert_failure
	the_results 0 "No source of 01-hello-server found"
}

@test "classroom: .github/workflows/classroom.yml is tools/classroom's workflow for every lesson" {
	diff <("$NP_ROOT/tools/classroom" workflow) "$NP_ROOT/.github/workflows/classroom.yml" ||
		fail "classroom.yml is not tools/classroom's: run  tools/classroom workflow >.github/workflows/classroom.yml"
}

# workflow_step FILE ID: the commands of the workflow's step ID (its run:
# block, unindented).
workflow_step() {
	awk -v id="$2" '
	    /^      - name:/ { here = 0; block = 0 }
	    $0 == "        id: " id { here = 1 }
	    here && block && /^          / { print substr($0, 11); next }
	    here && block { block = 0 }
	    here && /^        run: \|$/ { block = 1 }' "$1"
}

@test "classroom: make classroom LESSON=01,02, its steps run on a student's copy: the reporter's figures agree with make grade's score" {
	tool make -C "$NP_ROOT" --no-print-directory classroom LESSON=01,02 CLASSROOM_DIR="$T/wf"
	assert_success
	local wf=$T/wf/classroom.yml rel=$T/dist/netprog-student id ids=() n p2
	grep -qx '          runners: lesson01,lesson02' "$wf" || fail "the reporter does not read lesson01,lesson02"
	# A student's copy: the release, lesson 01 done, lesson 02 not.
	tool "$NP_ROOT/tools/dist-student" --no-check "$T/dist"
	assert_success
	cp -R "$NP_ROOT/.tools" "$rel/.tools"
	lesson01 "$rel/lessons"
	for id in lesson01 lesson02; do
		n=$(workflow_step "$wf" "$id" | grep -c 'make grade' || true)
		assert_equal "$n" 1
		grep -qF "LESSON${id#lesson}_RESULTS: \"\${{ steps.$id.outputs.result }}\"" "$wf" ||
			fail "the reporter does not get $id's result"
		# As the runner runs a step: bash -e, in the checkout.
		tool env --chdir="$rel" GITHUB_OUTPUT="$T/$id.out" bash -e -c "$(workflow_step "$wf" "$id")"
		assert_success
		sed -n 's/^result=//p' "$T/$id.out" | base64 -d >"$T/$id.json"
		ids+=("$T/$id.json")
	done
	p2=$(grep -c '^@test "TODO(' "$NP_ROOT/tests/02-client.bats")
	classroom_agrees "${ids[@]}"
	assert_equal "$CLASSROOM_SCORE" "$P1"
	assert_equal "$CLASSROOM_MAX" $((P1 + p2))
	# A lesson whose grading broke or ran out of time: its points, none
	# earned, and the figures still agree.
	rm -rf "$rel/build/grade-02"
	tool env --chdir="$rel" GITHUB_OUTPUT="$T/broke.out" bash -e -c "$(workflow_step "$wf" lesson02 | grep -v 'make grade')"
	assert_success
	sed -n 's/^result=//p' "$T/broke.out" | base64 -d >"$T/broke.json"
	classroom_agrees "$T/lesson01.json" "$T/broke.json"
	assert_equal "$CLASSROOM_MAX" $((P1 + p2))
	assert_equal "$(q "$T/broke.json" 'tests[0].status')" error
}

# hidden_test SECRET: a hidden test of lesson 01 in the autograder, worth
# 2 points, that passes, with SECRET in a comment.
hidden_test() {
	mkdir -p "$GS/gs/netprog/tests-extra"
	printf '# %s\n# bats test_tags=points:2\n@test "hidden: a test students do not see" {\n\ttrue\n}\n' \
		"$1" >"$GS/gs/netprog/tests-extra/01-secret.bats"
}

@test "gradescope: the submission runs as its own user: it cannot read a hidden test, change the grader or write results, and scores what it earns" {
	((EUID == 0)) || skip "needs root, as on Gradescope (CI runs it as root)"
	build_autograder 01
	local secret=SECRET-$RANDOM$RANDOM log sums
	log=$(mktemp /tmp/np-hostile.XXXXXX)
	T_CLEAN+=("$log")
	chmod 0666 "$log"
	hidden_test "$secret"
	sums=$(cd "$GS/gs/netprog" && cksum tools/* tests/*.bats)
	mkdir -p "$T/sub"
	{
		cat "$NP_ROOT/solutions/01-hello-server/hello-server.c"
		sed "s|LOGFILE|$log|" "$NP_ROOT/tests/tools/hostile.c"
	} >"$T/sub/hello-server.c"
	autograde "$T/sub"
	assert_success
	# It ran, and every attempt was refused.
	[[ -s $log ]] || fail "the hostile code never ran (no line in $log)"
	local attempts
	attempts=$(sort -u "$log")
	[[ $attempts != *DONE* ]] || fail "the submission got through: $attempts"
	assert_equal "$(grep -c 'Permission denied$' <<<"$attempts")" 5
	# Nothing changed; the secret shows nowhere; the honest score: every
	# test of lesson 01 and the hidden one.
	assert_equal "$(cd "$GS/gs/netprog" && cksum tools/* tests/*.bats)" "$sums"
	! grep -rqF "$secret" "$T/res" || fail "the hidden test's text is in the results"
	[[ $output$stderr != *"$secret"* ]] || fail "the hidden test's text was printed"
	assert_equal "$(q "$T/res/results.json" score)" $((P1 + 2))
	# The compiler runs as that user too: a hidden test cannot be
	# #included into a program, and the lesson does not compile.
	{
		printf '#include "%s"\n' "$GS/gs/netprog/tests-extra/01-secret.bats"
		cat "$NP_ROOT/solutions/01-hello-server/hello-server.c"
	} >"$T/sub/hello-server.c"
	autograde "$T/sub"
	assert_success
	assert_equal "$(q "$T/res/results.json" score)" 0
	grep -qF 'Permission denied' "$T/res/results.json" ||
		fail "no 'Permission denied' from the compiler in results.json"
	! grep -rqF "$secret" "$T/res" || fail "the hidden test's text is in the results"
}

@test "gradescope: make gradescope LESSON=02 grades lesson 02 only, and says when the submission has none of it" {
	build_autograder 02
	assert_equal "$(cat "$T/gs/lessons")" 02-client
	mkdir -p "$T/sub"
	cp "$NP_ROOT/solutions/01-hello-server/hello-server.c" "$NP_ROOT/solutions/02-client/client.c" "$T/sub/"
	autograde "$T/sub"
	assert_success
	local p2
	p2=$(grep -c '^@test "TODO(' "$NP_ROOT/tests/02-client.bats")
	assert_equal "$(q "$T/res/results.json" score)" "$p2"
	assert_equal "$(q "$T/res/results.json" extra_data.max_score)" "$p2"
	# Lesson 01's file alone: nothing of this week's lesson.
	rm "$T/sub/client.c"
	autograde "$T/sub"
	assert_failure
	the_results 0 "No source of 02-client found"
}

@test "gradescope: when grading itself fails, results.json still says so, with a score of 0" {
	build_autograder 01
	mkdir -p "$T/gs/netprog/tests-extra" "$T/sub"
	printf '# bats test_tags=points:many\n@test "x" {\n\ttrue\n}\n' >"$T/gs/netprog/tests-extra/01-x.bats"
	cp "$NP_ROOT/solutions/01-hello-server/hello-server.c" "$T/sub/"
	autograde "$T/sub"
	assert_failure
	the_results 0 "The autograder itself failed"
}

@test "reports: every test's name is unique across the lessons (Gradescope and Classroom list them side by side)" {
	local dups
	dups=$(grep -h '^@test "' "$NP_ROOT"/tests/[0-9][0-9]-*.bats | sort | uniq -d)
	[[ -z $dups ]] || fail "test names used in more than one lesson: $dups"
}
