# tools/check-errors.awk - the error contract of lessons/common/np.h, checked
# on C files (run by tools/check-errors). For each function it finds the
# calls that end the program or print, with comments and strings removed:
#
#   exit        exit(), np_die(), abort(): only in main. (_exit() ends a
#               forked child and np_todo() marks a skeleton's stub: both
#               allowed.)
#   diagnostic  np_warn(), perror(), and printing to stderr: only in main
#               and in functions that return nothing (void, or a thread's
#               start routine): the loops that decide and the loggers. A
#               function that returns a result leaves the report to its
#               caller.
#   output      printf(), puts() and the rest of stdio's printing, and
#               np_print_ready(): a program's own output, anywhere in a
#               program.
#
# A file without main() is a helper file: it neither diagnoses nor prints.
# Exempt: code between the lines "==== START-UP" and "==== END START-UP"
# (np.c's reporting functions), and the functions named in `allowed`
# below, each with its reason. Output: FILE:LINE: FUNCTION: what is wrong.
BEGIN {
	# Python's BaseServer.handle_error prints the traceback: the
	# library's default logger, which a program overrides.
	allowed["base_handle_error"] = 1
	w = "(^|[^A-Za-z0-9_])"
	exits = w "(exit|np_die|abort|quick_exit)[ \t]*\\("
	diags = w "(np_warn|perror|psignal)[ \t]*\\(|" \
	        w "(fprintf|vfprintf)[ \t]*\\([ \t]*stderr|" \
	        w "(fputs|fputc|putc)[ \t]*\\(.*stderr[ \t]*\\)|" \
	        w "dprintf[ \t]*\\([ \t]*(2|STDERR_FILENO)[ \t]*,"
	prints = w "(printf|fprintf|vprintf|vfprintf|dprintf|puts|fputs|putchar|fputc|putc|np_print_ready)[ \t]*\\("
}

FNR == 1 {
	if (NR > 1)
		finish_file()
	incomment = 0
	startup = 0
	depth = 0
	fn = ""
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

{
	code = strip($0)
}

# A function definition starts at column 0: "TYPE NAME(" without "=".
depth == 0 && code ~ /^[A-Za-z_][A-Za-z0-9_ \t\*]*\(/ && code !~ /^(typedef|return|if|while|for|switch)[^A-Za-z0-9_]/ {
	head = code
	sub(/\(.*/, "", head)
	name = head
	sub(/.*[^A-Za-z0-9_]/, "", name)
	type = substr(head, 1, length(head) - length(name))
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

depth > 0 && fn != "" && !startup && !(fn in allowed) {
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
		else if (chars[i] == "}" && --depth == 0)
			fn = ""
	}
}

# Printing is a program's right, not a helper file's: such a finding
# (onlyhelper) is kept until the file is known to have a main() or not.
function found(what, onlyhelper) {
	nfound++
	fline[nfound] = FILENAME ":" FNR ": " fn ": " what ": " trim($0)
	fhelper[nfound] = onlyhelper
}

function trim(s) {
	sub(/^[ \t]+/, "", s)
	return s
}

function finish_file(    i) {
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
