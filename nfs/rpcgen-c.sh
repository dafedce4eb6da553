#!/bin/sh
# rpcgen-c.sh RPCGEN INPUT.x OUTPUT.c HEADER.h
# Generate the XDR routines of INPUT.x. rpcgen -c names the header after its
# input path (e.g. "../nfs/nfs3_prot.h"), which breaks out-of-tree builds;
# reading from stdin and including the header by its bare name does not.
set -eu
rpcgen=$1 in=$2 out=$3 hdr=$4
{
	printf '#include "%s"\n' "$(basename "$hdr")"
	"$rpcgen" -c < "$in"
} > "$out.tmp"
mv "$out.tmp" "$out"
