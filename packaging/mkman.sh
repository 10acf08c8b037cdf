#!/bin/sh
# Writes benchvault(1) in roff from the help texts of the binary given
# ($1): the overview and every subcommand's --help, so the man page lists
# exactly the commands and options the binary has.
set -eu
bin=$1
esc() { sed -e 's/\\/\\e/g' -e 's/^\./\\\&./' -e "s/^'/\\\\\\&'/"; }
version=$("$bin" --version | sed 's/^benchvault //')
cat <<HEAD
.TH BENCHVAULT 1 "" "benchvault $version" "User Commands"
.SH NAME
benchvault \\- keep benchmark results and tell what got slower
.SH SYNOPSIS
.B benchvault
.I COMMAND
.RI [ OPTIONS ]
.SH DESCRIPTION
HEAD
"$bin" --help | esc | sed -e '1,2d' -e 's/^$/.PP/' -e 's/^  \([a-z]*\) \{1,\}\(.*\)$/.TP\n.B \1\n\2/'
echo ".SH COMMANDS"
for cmd in $("$bin" --help | sed -n 's/^  \([a-z][a-z]*\) .*/\1/p'); do
    echo ".SS $cmd"
    echo ".nf"
    "$bin" "$cmd" --help 2>&1 | esc
    echo ".fi"
done
cat <<TAIL
.SH FILES
.TP
.I /etc/benchvault.conf
settings as "key = value" lines (option names), with [command] sections;
the command line beats the environment, which beats the file
(\$BENCHVAULT_CONFIG names another file; empty: none)
.SH SEE ALSO
The documentation in /usr/share/doc/benchvault (README.md, docs/).
TAIL
