# Turn a reference solution into a skeleton, one file at a time.
#
#   awk -v revert=all -f tools/skeleton.awk FILE    the skeleton students get
#   awk -v revert=01.3 -f tools/skeleton.awk FILE   the solution with only
#                                                   TODO(01.3) reverted
#   awk -v revert=ids -f tools/skeleton.awk FILE    list the TODO ids
#
# In a solution, an exercise block looks like this:
#
#	/* TODO(01.3): what to write (kept in the skeleton) */
#	/* BEGIN SOLUTION */
#	... the reference code (dropped from the skeleton) ...
#	/* END SOLUTION */
#	//: stub line, uncommented in the skeleton
#
# A block belongs to the last TODO(NN.k) named above it. Stub lines are
# comments in the solution, so both versions compile.
function fail(msg) {
	printf "%s:%d: %s\n", FILENAME, FNR, msg > "/dev/stderr"
	failed = 1
	exit 1
}
match($0, /TODO\([0-9][0-9]\.[0-9]+\)/) {
	id = substr($0, RSTART + 5, RLENGTH - 6)
}
/^[ \t]*\/\* BEGIN SOLUTION \*\/[ \t]*$/ {
	if (inblock) fail("BEGIN SOLUTION inside a block")
	if (id == "") fail("BEGIN SOLUTION with no TODO(NN.k) above it")
	if (!(id in seen)) { seen[id] = 1; order[++nids] = id }
	inblock = 1
	stubbed = (revert == "all" || revert == id)
	next
}
/^[ \t]*\/\* END SOLUTION \*\/[ \t]*$/ {
	if (!inblock) fail("END SOLUTION without BEGIN")
	inblock = 0
	instub = 1
	next
}
inblock {
	if (!stubbed && revert != "ids") print
	next
}
instub && /^[ \t]*\/\/:/ {
	if (stubbed && revert != "ids") {
		sub(/\/\/: ?/, "")
		print
	}
	next
}
{
	instub = 0
	if (revert != "ids") print
}
END {
	if (failed) exit 1
	if (inblock) fail("BEGIN SOLUTION never ended")
	if (revert == "ids")
		for (i = 1; i <= nids; i++) print order[i]
	else if (revert != "all" && !(revert in seen))
		fail("no block for TODO(" revert ")")
}
