# tools/check-errors.awk - the error contract of lessons/common/np.h, checked
# on C files (run by tools/check-errors). For each function it finds the
# calls that end the program or print, with comments and strings removed:
#
#   exit        exit(), np_die(), abort(), err(): only in main. (_exit() ends
#               a forked child and np_todo() marks a skeleton's stub: both
#               allowed.)
#   diagnostic  np_warn(), perror(), warn(), printing to stderr: only in main
#               and in functions that return nothing (void, or a thread's
#               start routine): the loops that decide and the loggers. A
#               function that returns a result leaves the report to its
#               caller.
#   output      printf(), puts() and the rest of stdio's printing, and
#               np_print_ready(): a program's own output, anywhere in a
#               program.
#
# A file without main() is a helper file: it neither diagnoses nor prints.
# A macro's body counts as a function of the macro's name that returns
# nothing: it may not exit, since it can be expanded anywhere. A call or a
# function's head over several lines is read as one line, reported at its
# first; a return type on a line of its own is the function's.
# Exempt: code between the lines "==== START-UP" and "==== END START-UP"
# (np.c's reporting functions), and the functions named in `allowed`
# below, each with its reason. Output: FILE:LINE: FUNCTION: what is wrong.
BEGIN {
	# Python's BaseServer.handle_error prints the traceback: the
	# library's default logger, which a program overrides.
	allowed["base_handle_error"] = 1
	w = "(^|[^A-Za-z0-9_])"
	exits = w "(exit|np_die|abort|quick_exit|v?errx?)[ \t]*\\("
	diags = w "(np_warn|perror|psignal|v?warnx?)[ \t]*\\(|" \
	        w "(fprintf|vfprintf)[ \t]*\\([ \t]*stderr|" \
	        w "(fputs|fputc|putc|fwrite)[ \t]*\\(.*stderr[ \t]*\\)|" \
	        w "(dprintf|write)[ \t]*\\([ \t]*(2|STDERR_FILENO)[ \t]*,"
	prints = w "(printf|fprintf|vprintf|vfprintf|dprintf|puts|fputs|putchar|fputc|putc|np_print_ready)[ \t]*\\("
}

FNR == 1 {
	if (NR > 1)
		finish_file()
	incomment = 0
	startup = 0
	depth = 0
	fn = ""
	macro = 0
	pending = ""
	prev = ""
	nfound = 0
	hasmain = 0
}

# Remove comments (also across lines) and string and character literals.
function strip(line,    out, i, c, n, q) {
	out = ""
	n = length(line)
	for (i = 1; i <= n; i++) {
		c = substr(line, i, 1)
		if (incomment) {
			if (c == "*" && substr(line, i + 1, 1) == "/") {
				incomment = 0
				i++
			}
			continue
		}
		if (c == "/" && substr(line, i + 1, 1) == "*") {
			incomment = 1
			i++
			continue
		}
		if (c == "/" && substr(line, i + 1, 1) == "/")
			break
		if (c == "\"" || c == "'") {
			q = c
			out = out q
			for (i++; i <= n; i++) {
				c = substr(line, i, 1)
				if (c == "\\") {
					i++
					continue
				}
				if (c == q)
					break
			}
			out = out q
			continue
		}
		out = out c
	}
	return out
}

/==== START-UP/ { startup = 1 }
/==== END START-UP/ { startup = 0 }

# A line that leaves a parenthesis open waits for the next: a call's
# arguments or a function's parameters are read as one line (reported at
# its first, as it reads in the file).
{
	code = strip($0)
	if (pending != "") {
		code = pending " " code
		raw = raw " " trim($0)
	} else {
		where = FILENAME ":" FNR
		raw = trim($0)
	}
	pending = opened(code) > 0 ? code : ""
	if (pending != "")
		next
}

# A function definition starts at column 0: "TYPE NAME(" without "=". Its
# type may stand alone on the line before ("static int" / "name(...)").
depth == 0 && !macro && code ~ /^[A-Za-z_][A-Za-z0-9_ \t\*]*\(/ && code !~ /^(typedef|return|if|while|for|switch)[^A-Za-z0-9_]/ {
	head = code
	sub(/\(.*/, "", head)
	name = head
	sub(/.*[^A-Za-z0-9_]/, "", name)
	type = substr(head, 1, length(head) - length(name))
	if (type ~ /^[ \t]*$/)
		type = prev
	fn = name
	# void, or a thread's start routine: "void *NAME(void *ARG)".
	fnvoid = (type ~ /(^|[^A-Za-z0-9_])void[ \t]*$/ ||
	          (type ~ /(^|[^A-Za-z0-9_])void[ \t]*\*[ \t]*$/ &&
	           code ~ /\([ \t]*void[ \t]*\*[ \t]*[A-Za-z_0-9]*[ \t]*\)/))
	if (fn == "main")
		hasmain = 1
	if (code ~ /;[ \t]*$/)
		fn = "" # a prototype, not a definition
}

# A macro: checked as a function that returns nothing, to its last line
# (the one that does not end in a backslash).
depth == 0 && code ~ /^[ \t]*#[ \t]*define[ \t]+[A-Za-z_]/ {
	fn = code
	sub(/^[ \t]*#[ \t]*define[ \t]+/, "", fn)
	sub(/[^A-Za-z0-9_].*/, "", fn)
	fnvoid = 1
	macro = 1
}

(depth > 0 || macro) && fn != "" && !startup && !(fn in allowed) {
	if (fn != "main" && code ~ exits)
		found("exits (only main may: return an error instead)", 0)
	else if (fn != "main" && code ~ diags && !fnvoid)
		found("reports an error, but returns a value (return the error; the caller reports it)", 0)
	else if (code ~ diags || code ~ prints)
		found("prints in a helper file (a file without main: return the error instead)", 1)
}

{
	n = split(code, chars, "")
	for (i = 1; i <= n; i++) {
		if (chars[i] == "{")
			depth++
		else if (chars[i] == "}" && --depth == 0 && !macro)
			fn = ""
	}
	if (macro && $0 !~ /\\[ \t]*$/) {
		macro = 0
		fn = ""
	}
	prev = code
}

# opened(s): how many more "(" than ")" s holds.
function opened(s,    t) {
	t = s
	return gsub(/\(/, "", t) - gsub(/\)/, "", t)
}

# Printing is a program's right, not a helper file's: such a finding
# (onlyhelper) is kept until the file is known to have a main() or not.
function found(what, onlyhelper) {
	nfound++
	fline[nfound] = where ": " fn ": " what ": " raw
	fhelper[nfound] = onlyhelper
}

function trim(s) {
	sub(/^[ \t]+/, "", s)
	return s
}

function finish_file(    i) {
	if (pending != "") {
		print where ": a parenthesis never closes: the rest of the file was not checked"
		bad = 1
	}
	for (i = 1; i <= nfound; i++) {
		if (fhelper[i] && hasmain)
			continue
		print fline[i]
		bad = 1
	}
}

END {
	if (NR > 0)
		finish_file()
	exit bad
}
