# Reads kvmconfig's own --help, for the man page and the bash completion that scripts/package.sh generates from it:
# whatever the commands say about themselves is what the package documents and completes, so neither can drift.
# Sourced, not run. Every function takes the kvmconfig binary as its first argument.
#
# The help is asked for with COLUMNS=100000 and stdout redirected, which kvmconfig's help layout honours
# (src/KvmConfig.Cli/Infrastructure/HelpLayout.cs): each description, option and example is then one line, and
# every section is a "NAME:" line followed by its lines up to a blank line:
#
#   DESCRIPTION:
#   Validate /etc/kvmconfig.d against this host and the rules; ...
#
#   USAGE:
#       kvmconfig check [OPTIONS]
#
#   OPTIONS:
#       -h, --help                Prints help information
#           --connect <URI>       The host's libvirt URI: ...
#
#   COMMANDS:
#       plan      Place every declared VM on a node ...

# help_text BINARY [COMMAND...]: the whole help of the root (no command) or of one command path ("cluster plan").
# When HELP_CACHE names a directory, each help is asked for once and kept there (the binary takes about half a second
# to start, and the man page and the completion read every help).
help_text() {
  local binary=$1
  shift
  local path="$*"
  local cached=${HELP_CACHE:+$HELP_CACHE/help${path:+-${path// /-}}.txt}
  if [ -n "$cached" ] && [ -f "$cached" ]; then
    cat "$cached"
  elif [ -n "$cached" ]; then
    # Written aside and renamed: a reader running at the same time sees the whole help or none.
    local aside="$cached.$BASHPID"
    COLUMNS=100000 "$binary" "$@" --help </dev/null >"$aside"
    mv -f "$aside" "$cached"
    cat "$cached"
  else
    COLUMNS=100000 "$binary" "$@" --help </dev/null | cat
  fi
}

# help_section NAME: the lines of section NAME of the help on stdin, without the header and the 4-space indent.
help_section() {
  # Reads to the end rather than exiting at the blank line: under pipefail, a writer cut off early would fail.
  awk -v header="$1:" '
    $0 == header && !seen { inside = 1; seen = 1; next }
    inside && $0 == "" { inside = 0 }
    inside { sub(/^    /, ""); print }'
}

# help_commands BINARY [COMMAND...]: the subcommands of a command path (of the root with none), one per line as
# "NAME<TAB>DESCRIPTION".
help_commands() {
  help_text "$@" | help_section COMMANDS | awk '{ name = $1; sub(/^[^ ]+ +/, ""); print name "\t" $0 }'
}

# help_command_paths BINARY [COMMAND...]: every command path below the given one, depth first in the help's order
# ("topology", "check", ..., "cluster", "cluster plan", "cluster status", ...). A branch such as "cluster" is listed
# before its subcommands.
help_command_paths() {
  local binary=$1
  shift
  local name
  while IFS=$'\t' read -r name _; do
    printf '%s\n' "${*:+$* }$name"
    help_command_paths "$binary" "$@" "$name"
  done < <(help_commands "$binary" "$@")
}

# help_options: the OPTIONS section of the help on stdin, one option per line as "NAMES<US>VALUE<US>DESCRIPTION", US
# being the unit separator \037 (not a tab: `read` would merge two tabs around an empty value):
# "-h, --help<US><US>Prints help information", "--connect<US>URI<US>The host's libvirt URI: ...".
help_options() {
  help_section OPTIONS | awk '{
    sub(/^ +/, "")
    split($0, parts, /  +/)
    names = parts[1]; description = substr($0, length(parts[1]) + 1); sub(/^ +/, "", description)
    value = ""
    if (match(names, / <[^>]+>$/)) { value = substr(names, RSTART + 2, RLENGTH - 3); names = substr(names, 1, RSTART - 1) }
    print names "\037" value "\037" description
  }'
}
