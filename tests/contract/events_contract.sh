#!/usr/bin/env bash
# Events contract: the event types the deployed services and the gateway
# emit (every mp_emit('<type>', ...) of services/*/migrations/*.sql and
# gateway/migrations/*.sql) equal the messages
# declared in openapi/events.asyncapi.yaml (one `      name: <type>` line
# per message under components/messages), and each emission builds exactly
# the data keys its message's data schema lists in `required` (the one-line
# `      required: [...]` of the schema named on the payload's
# `data: {$ref: ...}` line). tests/app is a test fixture, not a service:
# it is not read.
#
# Data keys are read from the SQL with a small parser (perl, string- and
# parenthesis-aware): the data argument must be jsonb_build_object(...),
# a call of a SQL function whose body builds one (f_app_stats), or such
# terms joined with ||. Anything else fails with a message asking for the
# parser or the SQL to be adapted. Only top-level keys are compared; nested
# objects (tally, quorum, ratings, indicators) are not.
#
# Overrides for testing the test: EVENTS_SPEC (the AsyncAPI file),
# EVENTS_SERVICES (the directory holding <service>/migrations/*.sql) and
# EVENTS_GATEWAY (the gateway's migrations directory).
set -uo pipefail

ROOT=${MP_TEST_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
SPEC=${EVENTS_SPEC:-$ROOT/openapi/events.asyncapi.yaml}
SERVICES=${EVENTS_SERVICES:-$ROOT/services}
GATEWAY=${EVENTS_GATEWAY:-$ROOT/gateway/migrations}
TYPE_RE='^[a-z]+(\.[a-z_]+)+\.v[0-9]+$' # the outbox's CHECK on type
fail=0

err() { echo "FAIL: $*"; fail=1; }

[ -f "$SPEC" ] || { echo "FAIL: $SPEC not found"; exit 1; }
shopt -s nullglob
sql_files=("$SERVICES"/*/migrations/*.sql "$GATEWAY"/*.sql)
shopt -u nullglob
[ ${#sql_files[@]} -gt 0 ] || { echo "FAIL: no migrations under $SERVICES/*/migrations"; exit 1; }

# ---- 1. event types: SQL versus spec ------------------------------------
# Types emitted: the literal first argument of mp_emit, outside -- comments.
sql_types=$(grep -hv '^[[:space:]]*--' "${sql_files[@]}" |
	grep -o "mp_emit([[:space:]]*'[^']*'" |
	sed "s/^mp_emit([[:space:]]*'//; s/'\$//" | sort -u)
# An mp_emit( whose type is not a literal cannot be checked.
n_calls=$(grep -hv '^[[:space:]]*--' "${sql_files[@]}" | grep -o 'mp_emit[[:space:]]*(' | wc -l)
n_literal=$(grep -hv '^[[:space:]]*--' "${sql_files[@]}" | grep -o "mp_emit([[:space:]]*'" | wc -l)
if [ "$n_calls" -ne "$n_literal" ]; then
	err "$((n_calls - n_literal)) mp_emit call(s) do not start with a literal type (or break the line after the parenthesis):"
	grep -Hn 'mp_emit[[:space:]]*(' "${sql_files[@]}" | grep -v "mp_emit([[:space:]]*'" | sed 's/^/  /'
fi

# Types declared: `      name: <type>` lines of components/messages.
spec_all=$(awk '
	/^[^ #]/ { top = $1; sec = "" }
	/^  [^ #]/ { sec = $1 }
	top == "components:" && sec == "messages:" && /^      name:/ { print $2 }
' "$SPEC")
spec_types=$(printf '%s\n' "$spec_all" | sed '/^$/d' | sort -u)
dups=$(printf '%s\n' "$spec_all" | sed '/^$/d' | sort | uniq -d)
[ -z "$dups" ] || err "declared more than once in $SPEC: $(printf '%s ' "$dups" | tr '\n' ' ')"

for t in $sql_types $spec_types; do
	[[ $t =~ $TYPE_RE ]] || err "'$t' is not a valid type name (<service>.<entity>.<verb>.v<n>)"
done

[ -n "$sql_types" ] || err "no mp_emit('<type>', ...) found under $SERVICES/*/migrations"
[ -n "$spec_types" ] || err "no message (      name: <type>) found in $SPEC"

undeclared=$(comm -23 <(printf '%s\n' "$sql_types") <(printf '%s\n' "$spec_types") | sed '/^$/d')
unemitted=$(comm -13 <(printf '%s\n' "$sql_types") <(printf '%s\n' "$spec_types") | sed '/^$/d')
if [ -n "$undeclared" ]; then
	err "emitted by the SQL but not declared in ${SPEC#"$ROOT"/}:"
	for t in $undeclared; do
		echo "  $t   ($(grep -ln "mp_emit([[:space:]]*'$t'" "${sql_files[@]}" | sed "s|^$ROOT/||" | paste -sd ' '))"
	done
fi
if [ -n "$unemitted" ]; then
	err "declared in ${SPEC#"$ROOT"/} but emitted by no deployed service:"
	# shellcheck disable=SC2086 # one type per word
	printf '  %s\n' $unemitted
fi

# ---- 2. data keys of each emission ----------------------------------------
if ! command -v perl >/dev/null 2>&1; then
	echo "NOTE: perl not found: data keys not checked"
else
	perl -e '
use strict;
use warnings;

my ($spec, @sql) = @ARGV;
my $bad = 0;
sub problem { print "FAIL: @_\n"; $bad = 1 }
sub trim { my $s = shift; $s =~ s/^\s+|\s+$//g; return $s }

# ---- the spec: message -> type and data schema; schema -> required keys
my (%type_of, %data_of, %required);
my ($top, $sec, $item) = ("", "", "");
open(my $fh, "<", $spec) or die "$spec: $!";
while (my $l = <$fh>) {
	chomp $l;
	next if $l =~ /^\s*(#|$)/;
	if ($l =~ /^(\S[^:]*):/) { ($top, $sec, $item) = ($1, "", ""); next }
	if ($l =~ /^  (\S[^:]*):/) { ($sec, $item) = ($1, ""); next }
	if ($l =~ /^    (\S[^:]*):/) { $item = $1; next }
	next unless $top eq "components" && $item ne "";
	if ($sec eq "messages") {
		$type_of{$item} = $1 if $l =~ /^      name:\s*(\S+)\s*$/;
		$data_of{$item} = $1
		    if $l =~ /^\s+data:\s*\{\s*\$ref:\s*\x27#\/components\/schemas\/([^\x27]+)\x27\s*\}\s*$/;
	} elsif ($sec eq "schemas" && !exists $required{$item} &&
	    $l =~ /^      required:\s*\[(.*)\]\s*$/) {
		$required{$item} = [grep { $_ ne "" } map { trim($_) } split(/,/, $1)];
	}
}
close $fh;
my %schema_of_type;
for my $m (sort keys %type_of) {
	my $t = $type_of{$m};
	if (!defined $data_of{$m}) {
		problem("message $m ($t): no `data: {\$ref: \x27#/components/schemas/<Name>\x27}` line in its payload");
	} elsif (!exists $required{$data_of{$m}}) {
		problem("message $m ($t): schema $data_of{$m} has no one-line `required: [...]`");
	} else {
		$schema_of_type{$t} = $data_of{$m};
	}
}

# ---- the SQL: a string- and parenthesis-aware reader
# Text without -- comments (strings kept intact).
sub strip_comments {
	my $t = shift;
	my ($o, $i, $n) = ("", 0, length $t);
	while ($i < $n) {
		my $c = substr($t, $i, 1);
		if ($c eq "\x27") {
			my $j = $i + 1;
			while ($j < $n) {
				if (substr($t, $j, 1) eq "\x27") {
					if (substr($t, $j + 1, 1) eq "\x27") { $j += 2; next }
					last;
				}
				$j++;
			}
			$o .= substr($t, $i, $j - $i + 1);
			$i = $j + 1;
			next;
		}
		if ($c eq "-" && substr($t, $i + 1, 1) eq "-") {
			my $j = index($t, "\n", $i);
			$j = $n if $j < 0;
			$i = $j;
			next;
		}
		$o .= $c;
		$i++;
	}
	return $o;
}

# Splits $t from $i (just after an opening parenthesis) into its top-level
# comma-separated arguments; returns (\@args, index after the closing one)
# or () when unbalanced.
sub call_args {
	my ($t, $i) = @_;
	my ($depth, $cur, $n) = (0, "", length $t);
	my @args;
	while ($i < $n) {
		my $c = substr($t, $i, 1);
		if ($c eq "\x27") {
			my $j = $i + 1;
			while ($j < $n) {
				if (substr($t, $j, 1) eq "\x27") {
					if (substr($t, $j + 1, 1) eq "\x27") { $j += 2; next }
					last;
				}
				$j++;
			}
			$cur .= substr($t, $i, $j - $i + 1);
			$i = $j + 1;
			next;
		}
		if ($c eq "(") {
			$depth++;
		} elsif ($c eq ")") {
			if ($depth == 0) { push @args, trim($cur); return (\@args, $i + 1) }
			$depth--;
		} elsif ($c eq "," && $depth == 0) {
			push @args, trim($cur);
			$cur = "";
			$i++;
			next;
		}
		$cur .= $c;
		$i++;
	}
	return ();
}

# Top-level terms of an expression joined by ||.
sub concat_terms {
	my $t = shift;
	my ($depth, $cur, $i, $n) = (0, "", 0, length $t);
	my @terms;
	while ($i < $n) {
		my $c = substr($t, $i, 1);
		if ($c eq "\x27") {
			my $j = $i + 1;
			while ($j < $n) {
				if (substr($t, $j, 1) eq "\x27") {
					if (substr($t, $j + 1, 1) eq "\x27") { $j += 2; next }
					last;
				}
				$j++;
			}
			$cur .= substr($t, $i, $j - $i + 1);
			$i = $j + 1;
			next;
		}
		$depth++ if $c eq "(";
		$depth-- if $c eq ")";
		if ($depth == 0 && substr($t, $i, 2) eq "||") {
			push @terms, trim($cur);
			$cur = "";
			$i += 2;
			next;
		}
		$cur .= $c;
		$i++;
	}
	push @terms, trim($cur);
	return @terms;
}

# Keys of the json(b)_build_object call starting at the beginning of $t
# (or at its first occurrence when $anywhere); undef when unreadable.
sub build_keys {
	my ($t, $anywhere) = @_;
	my $re = $anywhere ? qr/\bjsonb?_build_object\s*\(/ : qr/^jsonb?_build_object\s*\(/;
	return undef unless $t =~ $re;
	my ($args, $end) = call_args($t, $+[0]);
	return undef unless defined $args;
	return undef if !$anywhere && trim(substr($t, $end)) ne "";
	return undef if @$args % 2;
	my @keys;
	for (my $k = 0; $k < @$args; $k += 2) {
		return undef unless $args->[$k] =~ /^\x27([a-z0-9_]+)\x27$/;
		push @keys, $1;
	}
	return \@keys;
}

# Function definitions in migration order: a later CREATE OR REPLACE of
# the same name supersedes an earlier one, whose emissions are no longer
# deployed and are not compared (the later body is).
my (%text, %body, %defs, %last_def);
for my $fi (0 .. $#sql) {
	my $f = $sql[$fi];
	open(my $h, "<", $f) or die "$f: $!";
	local $/;
	$text{$f} = strip_comments(scalar <$h>);
	close $h;
	while ($text{$f} =~ /CREATE\s+(?:OR\s+REPLACE\s+)?FUNCTION\s+(\w+)\s*\(.*?\bAS\s+\$\$(.*?)\$\$/sgi) {
		$body{$1} = $2;
		push @{$defs{$f}}, [$-[0], $1];
		$last_def{$1} = "$fi:$-[0]";
	}
}
# The function around position $at of file $fi, and whether a later
# definition replaced it.
sub superseded {
	my ($fi, $at) = @_;
	my $in;
	for my $d (@{$defs{$sql[$fi]} || []}) {
		$in = $d if $d->[0] < $at;
	}
	return defined $in && $last_def{$in->[1]} ne "$fi:$in->[0]";
}

my ($checked, $replaced) = (0, 0);
for my $fi (0 .. $#sql) {
	my $f = $sql[$fi];
	my $t = $text{$f};
	while ($t =~ /\bmp_emit\s*\(/g) {
		my $at = $+[0];
		if (superseded($fi, $at)) {
			$replaced++;
			next;
		}
		my $line = 1 + (() = substr($t, 0, $at) =~ /\n/g);
		my $where = "$f:$line";
		$where =~ s{^.*?/(services|gateway)/}{$1/};
		my ($args) = call_args($t, $at);
		if (!defined $args || @$args != 4) {
			problem("$where: mp_emit does not take 4 arguments here");
			next;
		}
		my ($type) = $args->[0] =~ /^\x27([^\x27]*)\x27$/;
		next unless defined $type; # reported by the type check
		my $schema = $schema_of_type{$type};
		next unless defined $schema; # undeclared: reported by the type check
		my @keys;
		my $readable = 1;
		for my $term (concat_terms($args->[2])) {
			my $k;
			if ($term =~ /^jsonb?_build_object\s*\(/) {
				$k = build_keys($term, 0);
			} elsif ($term =~ /^(\w+)\s*\(.*\)$/s && exists $body{$1}) {
				$k = build_keys($body{$1}, 1);
			}
			if (!defined $k) {
				problem("$where ($type): cannot read the data keys of `$term` (use jsonb_build_object with literal keys, or adapt tests/contract/events_contract.sh)");
				$readable = 0;
				last;
			}
			push @keys, @$k;
		}
		next unless $readable;
		my %sql = map { $_ => 1 } @keys;
		my %doc = map { $_ => 1 } @{$required{$schema}};
		my @extra = grep { !$doc{$_} } sort keys %sql;
		my @missing = grep { !$sql{$_} } sort keys %doc;
		problem("$where ($type): built by the SQL but not in $schema.required: @extra") if @extra;
		problem("$where ($type): in $schema.required but not built by the SQL: @missing") if @missing;
		$checked++;
	}
}
print "data keys: $checked emissions match their schema ($replaced in replaced functions not compared)\n" unless $bad;
exit $bad;
' "$SPEC" "${sql_files[@]}" || fail=1
fi

if [ $fail -eq 0 ]; then
	echo "events contract: $(printf '%s\n' "$sql_types" | wc -l) event types, SQL and ${SPEC#"$ROOT"/} agree"
fi
exit $fail
