# The grading tool's bookkeeping (tools/grade runs it; LC_ALL=C, any awk).
#
#   awk -v mode=list -f tools/grade.awk FILE.bats...
#       one line per test, in the order bats runs them:
#       POINTS <tab> VISIBILITY <tab> TODO ids <tab> FILE:LINE <tab> NAME
#   awk -v mode=lesson -v lesson=NN-name -v list=F -v tap=F -v build=F \
#       -v werror=0|1 -v built=0|1|2 -v stubs="NN.k ..." -v stamp=T \
#       -v json=F -v classroom=F -v xml=F -f tools/grade.awk
#       score one lesson from its test list and the bats TAP log (built=1),
#       its compiler's message (0) or nothing (2: not started, not run); write its tests as JSON, GitHub Classroom's
#       tests and JUnit XML; print an L line (the lesson) and T lines (its
#       TODOs) for mode=final
#   awk -v mode=final -v view=table|progress -v dir=D -v work=W -v werror=0|1 \
#       -v summary=F -v seconds=S -f tools/grade.awk
#       write D/grade.json and D/classroom.json, print the table
#
# Points come from the tests: a test tagged "# bats test_tags=points:N" is
# worth N; else the first line of the weights file (tests/weights, or
# GRADE_WEIGHTS=FILE; "todo:NN.k N", "tag:NAME N" or "lesson:NN N") that
# matches it; else "# bats file_tags=points:N", its file's default; else
# a test whose name names a TODO(NN.k) is worth 1, and one that names none
# (given code, usage) 0, since it passes on the skeleton. A tag
# visibility:V sets Gradescope's visibility of the test (default visible).
# Exit status 3 means the tool cannot trust what it read (it says why).

function die(msg) {
	printf "grade: %s\n", msg > "/dev/stderr"
	died = 1
	exit 3
}

function tags_of(line, where,    t, n, i, k, v) {
	sub(/^[ \t]*#[ \t]*bats[ \t]+(test|file)_tags=/, "", line)
	n = split(line, t, ",")
	tag_points = ""
	tag_vis = ""
	tag_all = ""
	for (i = 1; i <= n; i++) {
		gsub(/^[ \t]+|[ \t]+$/, "", t[i])
		k = t[i]
		tag_all = tag_all " " k " "
		if (k ~ /^points:/) {
			v = substr(k, 8)
			if (v !~ /^[0-9]+$/)
				die(where ": points tag '" k "' is not points:N with N a whole number")
			tag_points = v + 0
		} else if (k ~ /^visibility:/) {
			v = substr(k, 12)
			if (v !~ /^(visible|hidden|after_due_date|after_published)$/)
				die(where ": visibility tag '" k "' is not one of visible, hidden, after_due_date, after_published")
			tag_vis = v
		}
	}
}

function todo_ids(name,    ids, s) {
	ids = ""
	s = name
	while (match(s, /TODO\([0-9][0-9]\.[0-9]+\)/)) {
		ids = ids (ids == "" ? "" : " ") substr(s, RSTART + 5, RLENGTH - 6)
		s = substr(s, RSTART + RLENGTH)
	}
	return ids
}

function list_line(    at, line, q, rest, k, name, after, idstr, p, v) {
	at = FILENAME ":" FNR
	line = $0
	sub(/^[ \t]*@test[ \t]+/, "", line)
	q = substr(line, 1, 1)
	if (q != "\"" && q != "'")
		die(at ": cannot read this test's name (write @test \"NAME\" {)")
	rest = substr(line, 2)
	k = index(rest, q)
	if (k == 0)
		die(at ": the test's name has no closing quote")
	name = substr(rest, 1, k - 1)
	after = substr(rest, k + 1)
	if (after !~ /^[ \t]*\{[ \t]*$/)
		die(at ": expected { after the test's name")
	if (q == "\"" && name ~ /[\\$`]/)
		die(at ": a test name with \\, $ or ` is expanded by bats; the grader needs it literal")
	idstr = todo_ids(name)
	p = pending_points != "" ? pending_points : \
		weight_of(idstr, pending_tags file_tags, FILENAME)
	if (p == "")
		p = file_points != "" ? file_points : (idstr != "" ? 1 : 0)
	v = pending_vis != "" ? pending_vis : \
		file_vis != "" ? file_vis : "visible"
	printf "%d\t%s\t%s\t%s\t%s\n", p, v, idstr, at, name
	pending_points = ""
	pending_vis = ""
	pending_tags = ""
}

# read_weights(): the weights file (GRADE_WEIGHTS, else tests/weights if
# there is one): each line "todo:NN.k N", "tag:NAME N" or "lesson:NN N";
# # starts a comment. Kept in order in wsel[], wpts[].
function read_weights(    file, line, f, n, at) {
	file = ENVIRON["GRADE_WEIGHTS"]
	if (file == "") {
		file = "tests/weights"
		if ((getline line < file) < 0)
			return
		close(file)
	}
	nweights = 0
	at = 0
	while ((n = (getline line < file)) > 0) {
		at++
		sub(/#.*/, "", line)
		n = split(line, f, " ")
		if (n == 0)
			continue
		if (n != 2 || f[1] !~ /^(todo:[0-9][0-9]\.[0-9]+|tag:[^ ]+|lesson:[0-9][0-9])$/ || f[2] !~ /^[0-9]+$/)
			die(file ":" at ": expected todo:NN.k N, tag:NAME N or lesson:NN N (N a whole number), got: " line)
		wsel[++nweights] = f[1]
		wpts[nweights] = f[2] + 0
	}
	if (n < 0)
		die("cannot read the weights file " file)
	close(file)
}

# weight_of(IDS, TAGS, FILE): the points of the first weights line that
# matches a test with these TODO ids, tags (" a  b ") and test file; ""
# when none does.
function weight_of(ids, tags, file,    i, sel, v, base) {
	base = file
	sub(/.*\//, "", base)
	for (i = 1; i <= nweights; i++) {
		sel = wsel[i]
		v = substr(sel, index(sel, ":") + 1)
		if ((sel ~ /^todo:/ && index(" " ids " ", " " v " ")) ||
		    (sel ~ /^tag:/ && index(tags, " " v " ")) ||
		    (sel ~ /^lesson:/ && substr(base, 1, 2) == v))
			return wpts[i]
	}
	return ""
}

# Strings for JSON and XML. Input bytes are valid UTF-8 without NUL
# (tools/grade cleans them first); only ASCII needs escaping.
function init_escapes(    i, c) {
	for (i = 1; i < 256; i++) {
		c = sprintf("%c", i)
		ord[c] = i
		if (i < 32) {
			jesc[c] = sprintf("\\u%04x", i)
			xesc[c] = "?"
		}
	}
	jesc["\""] = "\\\""
	jesc["\\"] = "\\\\"
	jesc["\n"] = "\\n"
	jesc["\r"] = "\\r"
	jesc["\t"] = "\\t"
	delete xesc["\n"]
	delete xesc["\r"]
	delete xesc["\t"]
	xesc["&"] = "&amp;"
	xesc["<"] = "&lt;"
	xesc[">"] = "&gt;"
	xesc["\""] = "&quot;"
}

function esc(s, table,    i, n, c, out) {
	out = ""
	n = length(s)
	for (i = 1; i <= n; i++) {
		c = substr(s, i, 1)
		out = out ((c in table) ? table[c] : c)
	}
	return out
}

function jstr(s) { return "\"" esc(s, jesc) "\"" }

function xstr(s) {
	# U+FFFE and U+FFFF are not XML characters.
	gsub(/\357\277[\276\277]/, "?", s)
	return esc(s, xesc)
}

# clip(s, max): at most max bytes, never ending inside a UTF-8 sequence.
function clip(s, max, how,    n, k, b, need) {
	n = length(s)
	if (n <= max)
		return s
	s = substr(s, 1, max)
	for (k = max; k > max - 4 && k > 0; k--) {
		b = ord[substr(s, k, 1)]
		if (b < 128)
			break
		if (b >= 192) {
			need = b >= 240 ? 4 : b >= 224 ? 3 : 2
			if (max - k + 1 < need)
				s = substr(s, 1, k - 1)
			break
		}
	}
	return s "\n[" n - length(s) " more bytes cut: " how "]\n"
}

function first_line(s) {
	sub(/\n.*/, "", s)
	return s
}

function read_list(    line, f, n) {
	n = 0
	while ((getline line < list) > 0) {
		split(line, f, "\t")
		n++
		pts[n] = f[1] + 0
		vis[n] = f[2]
		ids[n] = f[3]
		where[n] = f[4]
		tname[n] = substr(line, length(f[1] f[2] f[3] f[4]) + 5)
	}
	close(list)
	return n
}

# first_diagnostic(TEXT): the compiler's first error or warning in TEXT
# (file:line:col: error: ...), else its first line.
function first_diagnostic(text,    n, l, i) {
	n = split(text, l, "\n")
	for (i = 1; i <= n; i++)
		if (l[i] ~ /(error|warning): /)
			return l[i]
	return n ? l[1] : ""
}

# no_build(LESSON, TEXT): why LESSON scores 0, from its compiler's TEXT.
function no_build(lesson, text) {
	return lesson " does not compile with the course's flags" \
		(werror ? " (every warning is an error)" : "") \
		", so every test in it scores 0.\nFirst: " first_diagnostic(text) \
		"\nThe compiler said:\n"
}

function read_file(path,    line, s) {
	s = ""
	while ((getline line < path) > 0)
		s = s line "\n"
	close(path)
	return s
}

function read_tap(    l, ok, rest, num, cur, t, m, last) {
	plan = -1
	cur = 0
	last = 0
	loose = ""
	while ((getline l < tap) > 0) {
		if (l ~ /^1\.\.[0-9]+$/) {
			plan = substr(l, 4) + 0
			continue
		}
		if (l ~ /^(not )?ok [0-9]+( |$)/) {
			ok = substr(l, 1, 3) == "ok "
			rest = substr(l, ok ? 4 : 8)
			num = rest + 0
			sub(/^[0-9]+ ?/, "", rest)
			# A file's setup or teardown failing: not one of the tests.
			if (rest ~ /^(setup_file|teardown_file|source|unknown internal) failed$/ && \
			    (num < 1 || num > ntests || rest != tname[num])) {
				cur = -1
				loose = loose l "\n"
				continue
			}
			# bats numbers tests 1, 2, ... in order; anything else was
			# written into its output by something else.
			if (num != last + 1 || num > ntests)
				die(lesson ": bats' results are out of order (test " num " after " last "): something wrote into its output")
			last = num
			# NAME, then " in Nms" (--timing), then " # skip [why]" or
			# " # timeout after Ns".
			if (substr(rest, 1, length(tname[num])) != tname[num])
				die(lesson ": bats' test " num " is \"" rest "\" but the grader read \"" tname[num] "\" at " where[num])
			rest = substr(rest, length(tname[num]) + 1)
			ms[num] = ""
			if (match(rest, /^ in [0-9]+ms/)) {
				ms[num] = substr(rest, 5, RLENGTH - 6)
				rest = substr(rest, RLENGTH + 1)
			}
			cur = num
			fresh = 1
			trace_at = 0
			state[num] = ok ? "passed" : "failed"
			out[num] = ""
			trace[num] = ""
			if (rest ~ /^ # skip( |$)/) {
				state[num] = "failed"
				m = substr(rest, 9)
				out[num] = "skipped, so it scores 0" (m == "" ? "" : ": " m) "\n"
			} else if (rest ~ /^ # timeout after [0-9]+s$/) {
				out[num] = "stopped: it ran longer than " substr(rest, 18) " (BATS_TEST_TIMEOUT)\n"
			} else if (rest != "") {
				die(lesson ": bats' test " num " ends with \"" rest "\", which the grader does not know")
			}
			continue
		}
		if (cur > 0) {
			t = l
			if (substr(t, 1, 2) == "# ")
				t = substr(t, 3)
			else if (t == "#")
				t = ""
			# bats lists a failed test's tags first: not news.
			if (fresh && t ~ /^tags: /) {
				fresh = 0
				continue
			}
			fresh = 0
			# bats' trace of where the test stopped ("(from function
			# ... in test file ..., line N)", then "`CMD' failed"): for
			# an instructor, not the first thing a student reads. It
			# goes after the test's own message (see with_trace()).
			# bats (patched by tools/bootstrap) already puts it last,
			# under this line, which with_trace() writes again.
			if (trace_at == 0 && t == "where the test stopped (bats):")
				continue
			if (trace_at == 0 && t ~ /^\((from function `|in test file )/)
				trace_at = 1
			if (trace_at == 1) {
				trace[cur] = trace[cur] t "\n"
				if (t ~ /\)$/)
					trace_at = 2
				continue
			}
			if (trace_at == 2 && t ~ /^  `.*' failed/) {
				trace[cur] = trace[cur] t "\n"
				trace_at = 3
				continue
			}
			if (length(out[cur]) < 65536)
				out[cur] = out[cur] t "\n"
		} else if (length(loose) < 65536) {
			loose = loose l "\n"
		}
	}
	close(tap)
}

function lesson_mode(    i, n, s, o, why, sep, csep, failures, errors, secs, \
                        up_n, up_pass, up_score, up_max, idn_seen, \
                        score, maxs, passed, d, id, k, idn, todo_n, todo_list) {
	init_escapes()
	ntests = read_list()
	num_of_lesson = substr(lesson, 1, 2) + 0
	how = "run make check LESSON=" substr(lesson, 1, 2) " to see it all"
	if (built == 2) {
		why = "not run: every TODO of " lesson " is still a stub.\n"
	} else if (built) {
		read_tap()
		if (plan < 0)
			die(lesson ": bats printed no test plan; what it said:\n" clip(loose, 4000, "see " tap))
		if (plan != ntests)
			die(lesson ": bats ran " plan " tests, the grader counted " ntests " @test lines")
		why = "not run: the lesson's tests stopped before this one (its file ran out of time (tests/run's bound), or bats was killed). Run make check LESSON=" substr(lesson, 1, 2) " to see why.\n"
		if (loose != "")
			why = why "bats said:\n" loose
	} else {
		why = "not run: " no_build(lesson, read_file(build)) read_file(build)
	}
	sep = ""
	csep = ""
	failures = errors = secs = score = maxs = passed = 0
	printf "" > json
	printf "" > classroom
	for (i = 1; i <= ntests; i++) {
		if (!(i in state)) {
			state[i] = "failed"
			out[i] = why
			notrun[i] = 1
			errors++
		} else if (state[i] == "failed") {
			failures++
			if (trace[i] != "")
				out[i] = out[i] "where the test stopped (bats):\n" trace[i]
		}
		got = state[i] == "passed" ? pts[i] : 0
		score += got
		maxs += pts[i]
		passed += state[i] == "passed"
		# Tests not yet published (hidden, after the due date, after
		# publishing): counted apart, for the summary students see.
		if (vis[i] != "visible") {
			up_n++
			up_pass += state[i] == "passed"
			up_score += got
			up_max += pts[i]
		}
		secs += ms[i] / 1000
		o = state[i] == "passed" ? "" : clip(out[i], 8000, how)
		printf "%s    {\"name\": %s, \"number\": \"%d.%d\", \"score\": %d, \"max_score\": %d, \"status\": \"%s\", \"output\": %s, \"visibility\": \"%s\", \"tags\": [%s], \"lesson\": \"%s\", \"todo\": [%s]}", \
			sep, jstr(tname[i]), num_of_lesson, i, got, pts[i], state[i], \
			jstr(o), vis[i], tag_list(lesson, ids[i]), lesson, \
			id_list(ids[i]) > json
		sep = ",\n"
		# GitHub Classroom: each point of a test an entry worth 1, and a
		# test worth 0 left out, so that its reporter's figures (passed
		# / tests) are the points it records (tools/classroom).
		for (k = 1; k <= pts[i]; k++) {
			printf "%s{\"name\": %s, \"status\": \"%s\", \"score\": %d, \"message\": %s, \"line_no\": %d, \"execution_time\": \"%.3fs\"}", \
				csep, jstr(lesson ": " tname[i] (pts[i] > 1 ? " (point " k " of " pts[i] ")" : "")), \
				state[i] == "passed" ? "pass" : "fail", state[i] == "passed", \
				jstr(k > 1 || message_max <= 0 ? "" : clip(o, message_max < 500 ? message_max : 500, how)), \
				line_of(where[i]), (k == 1 ? ms[i] / 1000 : 0) > classroom
			csep = ","
		}
		# A TODO is done when every test that names it passes.
		n = split(ids[i], d, " ")
		for (k = 1; k <= n; k++) {
			id = d[k]
			if (!(id in todo_tests)) {
				todo_list[++todo_n] = id
				todo_first[id] = ""
			}
			todo_tests[id]++
			if (state[i] != "passed" && vis[i] == "visible")
				todo_fail_seen[id]++
			if (state[i] != "passed") {
				todo_fail[id]++
				if (todo_first[id] == "")
					todo_first[id] = tname[i]
			}
		}
	}
	close(json)
	close(classroom)
	write_xml(failures, errors, secs, score, maxs)
	sort_ids(todo_list, todo_n)
	idn = 0
	for (k = 1; k <= todo_n; k++) {
		idn += !(todo_list[k] in todo_fail)
		idn_seen += !(todo_list[k] in todo_fail_seen)
	}
	# Then what a student may see: the same without unpublished tests.
	printf "L\t%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%.3f\t%d\t%d\t%d\t%d\t%d\n", lesson, \
		built, passed, ntests, score, maxs, idn, todo_n, secs, \
		passed - up_pass, ntests - up_n, score - up_score, maxs - up_max, \
		built == 1 ? idn_seen : idn
	for (k = 1; k <= todo_n; k++) {
		id = todo_list[k]
		s = !(id in todo_fail) ? "done" : \
			index(" " stubs " ", " " id " ") ? "todo" : "failing"
		printf "T\t%s\t%s\t%s\t%d\t%d\t%s\n", lesson, id, s, todo_fail[id], \
			todo_tests[id], todo_first[id]
	}
}

function line_of(w) {
	sub(/.*:/, "", w)
	return w + 0
}

function tag_list(lesson, idstr,    d, n, k, s) {
	s = "\"" lesson "\""
	n = split(idstr, d, " ")
	for (k = 1; k <= n; k++)
		s = s ", \"TODO(" d[k] ")\""
	return s
}

function id_list(idstr,    d, n, k, s) {
	s = ""
	n = split(idstr, d, " ")
	for (k = 1; k <= n; k++)
		s = s (k > 1 ? ", " : "") "\"" d[k] "\""
	return s
}

# By the number after the dot: 01.2 before 01.10.
function sort_ids(a, n,    i, j, t) {
	for (i = 2; i <= n; i++) {
		t = a[i]
		for (j = i - 1; j >= 1 && substr(a[j], 4) + 0 > substr(t, 4) + 0; j--)
			a[j + 1] = a[j]
		a[j + 1] = t
	}
}

function write_xml(failures, errors, secs, score, maxs,    i, o) {
	printf "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" > xml
	printf "<testsuites name=\"netprog %s\" tests=\"%d\" failures=\"%d\" errors=\"%d\" time=\"%.3f\">\n", \
		lesson, ntests, failures, errors, secs > xml
	printf "  <testsuite name=\"%s\" tests=\"%d\" failures=\"%d\" errors=\"%d\" skipped=\"0\" time=\"%.3f\" timestamp=\"%s\">\n", \
		lesson, ntests, failures, errors, secs, stamp > xml
	printf "    <properties>\n      <property name=\"points\" value=\"%d\"/>\n      <property name=\"max_points\" value=\"%d\"/>\n      <property name=\"compiled\" value=\"%s\"/>\n    </properties>\n", \
		score, maxs, built == 1 ? "true" : built ? "not built" : "false" > xml
	for (i = 1; i <= ntests; i++) {
		printf "    <testcase classname=\"%s\" name=\"%s\" time=\"%.3f\"", lesson, \
			xstr(tname[i]), ms[i] / 1000 > xml
		if (state[i] == "passed") {
			printf "/>\n" > xml
			continue
		}
		o = clip(out[i], 8000, how)
		printf ">\n      <%s message=\"%s\" type=\"%s\">%s</%s>\n    </testcase>\n", \
			i in notrun ? "error" : "failure", xstr(first_line(o)), \
			i in notrun ? (built ? "not run" : "does not compile") : "failed", \
			xstr(o), i in notrun ? "error" : "failure" > xml
	}
	printf "  </testsuite>\n</testsuites>\n" > xml
	close(xml)
}

# first_in(lesson, state): the index of the lesson's first TODO in state.
function first_in(l, state,    k) {
	for (k = 1; k <= ntodo[l]; k++)
		if (tstate[l, k] == state)
			return k
	return 0
}

# join_parts(fo, n, ext, sep): the lessons' WORK/LESSON.EXT parts to fo,
# sep between them.
function join_parts(fo, n, ext, sep,    i, s, first) {
	first = 1
	for (i = 1; i <= n; i++) {
		s = read_file(work "/" les[i] ext)
		if (s == "")
			continue
		printf "%s%s", first ? "" : sep, substr(s, 1, length(s) - 1) > fo
		first = 0
	}
}

function pct(a, b) { return b ? sprintf("%d%%", int(100 * a / b)) : "-" }

function final_mode(    f, fo, n, i, k, table, score, maxs, tests, passed, \
                       tdone, ttotal, line, bad, nx, seen, s_score, s_maxs, \
                       s_tests, s_passed, s_done, unseen, blog) {
	init_escapes()
	n = 0
	while ((getline line < summary) > 0) {
		split(line, f, "\t")
		if (f[1] == "L") {
			n++
			les[n] = f[2]
			lbuilt[n] = f[3]
			lpass[n] = f[4]
			ltot[n] = f[5]
			lscore[n] = f[6]
			lmax[n] = f[7]
			ldone[n] = f[8]
			ltodos[n] = f[9]
			lsecs[n] = f[10]
			spass[n] = f[11]
			stot[n] = f[12]
			sscore[n] = f[13]
			smax[n] = f[14]
			sdone[n] = f[15]
		} else if (f[1] == "T") {
			k = ++ntodo[f[2]]
			tid[f[2], k] = f[3]
			tstate[f[2], k] = f[4]
			tfail[f[2], k] = f[5]
			ttests[f[2], k] = f[6]
			tfirst[f[2], k] = substr(line, length(f[1] f[2] f[3] f[4] f[5] f[6]) + 7)
		}
	}
	close(summary)
	table = sprintf("%-24s %9s %9s %11s\n", "lesson", "tests", "points", "TODOs done")
	seen = table
	bad = ""
	for (i = 1; i <= n; i++) {
		table = table sprintf("%-24s %9s %9s %11s%s\n", les[i], lpass[i] "/" ltot[i], \
			lscore[i] "/" lmax[i], ldone[i] "/" ltodos[i], \
			lbuilt[i] == 1 ? "" : lbuilt[i] ? "   not started" : "   does not compile")
		# The same row without the tests students may not see yet.
		seen = seen sprintf("%-24s %9s %9s %11s%s\n", les[i], spass[i] "/" stot[i], \
			sscore[i] "/" smax[i], sdone[i] "/" ltodos[i], \
			lbuilt[i] == 1 ? "" : lbuilt[i] ? "   not started" : "   does not compile")
		s_score += sscore[i]
		s_maxs += smax[i]
		s_tests += stot[i]
		s_passed += spass[i]
		s_done += sdone[i]
		score += lscore[i]
		maxs += lmax[i]
		tests += ltot[i]
		passed += lpass[i]
		tdone += ldone[i]
		ttotal += ltodos[i]
		blog = lbuilt[i] < 2 ? read_file(work "/" les[i] ".build") : ""
		if (lbuilt[i] == 0)
			bad = bad "\n" no_build(les[i], blog) \
				clip(blog, 4000, "make check LESSON=" substr(les[i], 1, 2) " shows it all")
		else if (blog ~ /warning: /)
			bad = bad "\n" les[i] " compiles with warnings (GRADE_WERROR=0: not errors here, as they are with the course's flags).\nFirst: " \
				first_diagnostic(blog) "\n" clip(blog, 2000, "make build LESSON=" substr(les[i], 1, 2) " shows them all")
	}
	table = table sprintf("%-24s %9s %9s %11s\n", "total", passed "/" tests, \
		score "/" maxs, tdone "/" ttotal)
	table = table sprintf("score: %d of %d points (%s)\n", score, maxs, pct(score, maxs)) bad
	# Gradescope shows "output" to students at once: the summary there
	# leaves out hidden, after-due-date and after-published tests (each
	# test's own visibility governs it in the list).
	unseen = tests - s_tests
	seen = seen sprintf("%-24s %9s %9s %11s\n", "total", s_passed "/" s_tests, \
		s_score "/" s_maxs, s_done "/" ttotal)
	seen = seen sprintf("score: %d of %d points (%s)%s\n", s_score, s_maxs, pct(s_score, s_maxs), \
		unseen ? sprintf(" in the tests shown; %d more test%s not shown until your instructor publishes %s", \
			unseen, unseen > 1 ? "s are" : " is", unseen > 1 ? "them" : "it") : "") bad

	fo = dir "/grade.json"
	printf "{\n  \"score\": %d,\n  \"execution_time\": %d,\n  \"output\": %s,\n  \"output_format\": \"text\",\n  \"visibility\": \"visible\",\n  \"stdout_visibility\": \"hidden\",\n", \
		score, seconds, jstr(seen) > fo
	printf "  \"extra_data\": {\"max_score\": %d, \"tests_passed\": %d, \"tests\": %d, \"todos_done\": %d, \"todos\": %d, \"lessons\": [", \
		maxs, passed, tests, tdone, ttotal > fo
	for (i = 1; i <= n; i++)
		printf "%s\n    {\"lesson\": \"%s\", \"compiled\": %s, \"tests_passed\": %d, \"tests\": %d, \"score\": %d, \"max_score\": %d, \"todos_done\": %d, \"todos\": %d}", \
			(i > 1) ? "," : "", les[i], \
			lbuilt[i] == 1 ? "true" : lbuilt[i] ? "null" : "false", lpass[i], \
			ltot[i], lscore[i], lmax[i], ldone[i], ltodos[i] > fo
	printf "]},\n  \"tests\": [\n" > fo
	join_parts(fo, n, ".json", ",\n")
	printf "\n  ]\n}\n" > fo
	close(fo)

	fo = dir "/classroom.json"
	printf "{\"version\": 1, \"status\": \"%s\", \"max_score\": %d, \"tests\": [", \
		score == maxs ? "pass" : "fail", maxs > fo
	join_parts(fo, n, ".classroom", ",")
	printf "]}\n" > fo
	close(fo)

	if (view != "progress") {
		printf "%s", table
		printf "reports: %s/grade.json (Gradescope), %s/classroom.json (GitHub Classroom), %s/reports/NN-name.xml (JUnit)\n", \
			dir, dir, dir
		return
	}
	# The student's view: each lesson's TODOs, done or not, and what next.
	for (i = 1; i <= n; i++) {
		# A lesson not started ran no test: say so, not "0 pass" (make
		# grade runs them, and the ones no TODO names may pass).
		if (lbuilt[i] == 2)
			printf "%s: %d of %d TODOs done, not started (its %d tests not run)\n", \
				les[i], ldone[i], ltodos[i], ltot[i]
		else
			printf "%s: %d of %d TODOs done, %d of %d tests pass%s\n", les[i], \
				ldone[i], ltodos[i], lpass[i], ltot[i], \
				lbuilt[i] != 0 ? "" : " (it does not compile: run make check LESSON=" substr(les[i], 1, 2) ")"
		line = " "
		for (k = 1; k <= ntodo[les[i]]; k++) {
			line = line sprintf(" %-5s %-8s", tid[les[i], k], tstate[les[i], k])
			if (k % 6 == 0 || k == ntodo[les[i]]) {
				sub(/ +$/, "", line)
				print line
				line = " "
			}
		}
		# Next: the first stub left (a stub fails the tests of the TODOs
		# that build on it), else the first TODO failing.
		nx = first_in(les[i], "todo")
		if (!nx)
			nx = first_in(les[i], "failing")
		if (nx && tstate[les[i], nx] == "failing")
			printf "  next: TODO(%s): %d of its %d tests fail, the first: %s\n", \
				tid[les[i], nx], tfail[les[i], nx], ttests[les[i], nx], \
				tfirst[les[i], nx]
		else if (nx)
			printf "  next: TODO(%s): its stub is still there; its first test: %s\n", \
				tid[les[i], nx], tfirst[les[i], nx]
	}
	printf "done: finished and passing; failing: written, a test fails; todo: its stub is still there\n"
	printf "total: %d of %d TODOs done, %d of %d points\n", tdone, ttotal, score, maxs
}

BEGIN {
	if (mode == "lesson") {
		lesson_mode()
		exit 0
	}
	if (mode == "final") {
		final_mode()
		exit 0
	}
	if (mode != "list")
		die("grade.awk: mode must be list, lesson or final")
	read_weights()
}

mode == "list" && FNR == 1 {
	file_points = file_vis = pending_points = pending_vis = ""
	file_tags = pending_tags = ""
}
mode == "list" && /^[ \t]*#[ \t]*bats[ \t]+file_tags=/ {
	tags_of($0, FILENAME ":" FNR)
	file_points = tag_points
	file_vis = tag_vis
	file_tags = tag_all
	next
}
mode == "list" && /^[ \t]*#[ \t]*bats[ \t]+test_tags=/ {
	tags_of($0, FILENAME ":" FNR)
	if (tag_points != "")
		pending_points = tag_points
	if (tag_vis != "")
		pending_vis = tag_vis
	pending_tags = pending_tags tag_all
	next
}
mode == "list" && /^[ \t]*@test([ \t]|$)/ {
	list_line()
}

END {
	if (died)
		exit 3
}
