#!/bin/sh
# The pure cores (bft/core, bft/client) must not touch the world: no clock,
# sockets, files, threads or entropy (DESIGN.md, "The bft/ library"), except
# through struct bft_io (io->random is the one source of entropy).
# Fails listing every offending line.
root="$1"
bad=$(grep -nF -e 'time(' -e 'clock_gettime' -e 'gettimeofday' -e 'socket' \
	-e 'rand' -e 'fopen' -e 'open(' -e 'pthread' -e 'getenv' -e 'sleep(' \
	"$root"/bft/core/*.[ch] "$root"/bft/client/*.[ch] |
	grep -vF 'io->random')
if [ -n "$bad" ]; then
	echo "$bad"
	echo "the pure core calls the outside world (see lines above)" >&2
	exit 1
fi
echo "bft/core and bft/client: no clock, socket, file, thread or entropy calls"
