#!/usr/bin/perl

# nginx and the Redis Functions agree by name: the KEYS, ARGV and reply
# fields that ngx_bedrud_module/ngx_http_bedrud_functions.h names are the
# ones the .lua files in redis/ declare, in the same order; the functions
# read them through those names only, and build no key they could have
# been given; redis/SCHEMA.md lists them all.  No Redis, no nginx: every
# side is read as text.
#
#   prove t/unit/functions.t

use strict;
use warnings;

use Test::More;
use File::Basename qw(dirname);
use Cwd qw(abs_path);

my $top = abs_path(dirname(abs_path(__FILE__)) . '/../..');
my $header = "$top/ngx_bedrud_module/ngx_http_bedrud_functions.h";

sub slurp {
    my ($path) = @_;
    open my $fh, '<', $path or die "$path: $!\n";
    local $/;
    return scalar <$fh>;
}

# "SEAT_EXP" and "seat_exp", "CREATED_BY" and "createdBy" are one name
sub norm { my ($n) = @_; $n =~ s/_//g; return lc $n }

# ---------------------------------------------------------------- C side

# blocks: a comment naming the function (or field list) and its file, then
# #define lines up to a blank line
my (%cfn, %cfields);
{
    my @lines = split /\n/, slurp($header);
    for (my $i = 0; $i < @lines; $i++) {
        my ($name, $file) = $lines[$i]
            =~ /\b(bedrud_\w+|[A-Z]+_FIELDS) \(redis\/(\w+\.lua)\)/
            or next;
        my (@defs, $named);
        for ($i++; $i < @lines && $lines[$i] ne ''; $i++) {
            push @defs, [$1, $2]
                if $lines[$i] =~ /^#define\s+(NGX_HTTP_BEDRUD_\w+)\s+(\d+)$/;
            $named = [$1, $2]
                if $lines[$i] =~ /^#define\s+(NGX_HTTP_BEDRUD_\w+)\s+"(\w+)"$/;
        }
        if ($name =~ /_FIELDS$/) {
            $cfields{$name} = { file => $file, defs => \@defs };
        } else {
            $cfn{$name} = { file => $file, defs => \@defs, named => $named };
        }
    }
}

ok(keys %cfn > 20, 'the header names ' . (keys %cfn) . ' functions');

# one block: its list of names by kind, checked for positions and counts
sub c_lists {
    my ($what, $prefix, $defs) = @_;
    my (%list, %count, @bad);
    for my $d (@$defs) {
        my ($name, $value) = @$d;
        if ($name =~ /^\Q$prefix\E_([KAF])_(\w+)$/) {
            push @{ $list{$1} }, [$2, $value];
        } elsif ($name =~ /^\Q$prefix\E_(NKEYS|N|NFIELDS)$/) {
            $count{$1} = $value;
        } else {
            push @bad, $name;
        }
    }
    ok(!@bad, "$what: every #define is $prefix\_...")
        or diag("not of $what: @bad");
    return (\%list, \%count);
}

# ------------------------------------------------------------- Lua side

my (%lfn, %lfields, %registered);

for my $path (glob "$top/redis/*.lua") {
    my $file = (split m{/}, $path)[-1];
    my $text = slurp($path);

    while ($text =~ /^local (\w+_FIELDS) = \{(.*?)\}/msg) {
        my ($name, $list) = ($1, $2);
        $lfields{$name} = { file => $file, names => [ $list =~ /'(\w+)'/g ] };
    }

    while ($text =~ /register_function\('(\w+)',\s*(\w+)\)/g) {
        $registered{$1} = { file => $file, local => $2 };
    }

    while ($text =~ /function_name\s*=\s*'(\w+)',\s*callback\s*=\s*(\w+)/g) {
        $registered{$1} = { file => $file, local => $2 };
    }

    # a declaration, then the function it is for: "(keys, args)", body up
    # to the "end" at the start of a line
    my $decl = qr/^local K, A = declare\('(\w+)',\s*\{(.*?)\},\s*\{(.*?)\}\)\n/ms;
    my $func = qr/local function (\w+)\(keys, args\)\n(.*?)^end\n/ms;

    while ($text =~ /$decl$func/msg) {
        my ($fn, $k, $a, $local, $body) = ($1, $2, $3, $4, $5);

        $lfn{$fn} = {
            file => $file,
            keys => [ $k =~ /'(\w+)'/g ],
            args => [ $a =~ /'(\w+)'/g ],
            local => $local,
            body => $body,
        };
    }

    # every function of (keys, args) has its declaration
    my @undeclared;
    while ($text =~ /^local function (\w+)\(keys, args\)/mg) {
        my $f = $1;
        push @undeclared, $f
            unless grep { $_->{local} eq $f && $_->{file} eq $file }
                        values %lfn;
    }
    ok(!@undeclared, "$file: every function declares its KEYS and ARGV")
        or diag("no declaration right above: @undeclared");
}

for my $fn (sort keys %registered) {
    my $d = $lfn{$fn};
    ok($d && $d->{local} eq $registered{$fn}{local},
       "$fn: registered with the function its declaration is for");
}

for my $fn (sort keys %lfn) {
    ok($registered{$fn}, "$fn: declared and registered");

    my $d = $lfn{$fn};
    my $body = $d->{body};
    my %k = map { $_ => 1 } @{ $d->{keys} };
    my %a = map { $_ => 1 } @{ $d->{args} };

    my @pos = $body =~ /\b((?:keys|args)\[\s*\d[^\]]*\])/g;
    ok(!@pos, "$fn: reads KEYS and ARGV by name only")
        or diag("by position: @pos");

    my @unknown = ((grep { !$k{$_} } $body =~ /\bK\.(\w+)/g),
                   (grep { !$a{$_} } $body =~ /\bA\.(\w+)/g));
    ok(!@unknown, "$fn: uses only names it declares")
        or diag("undeclared: @unknown");

    my @built = $body =~ /('bedrud:[^']*'|\.\.\s*':[^']*')/g;
    ok(!@built, "$fn: builds no key name itself")
        or diag("built: @built");
}

# ------------------------------------------------------------ both sides

for my $fn (sort keys %cfn) {
    my $c = $cfn{$fn};
    my $l = $lfn{$fn};
    (my $short = uc $fn) =~ s/^BEDRUD_//;
    my $prefix = "NGX_HTTP_BEDRUD_$short";

    is_deeply($c->{named}, [ $prefix, $fn ], "$fn: $prefix is its name");

    ok($l, "$fn: named in the header, declared in redis/$c->{file}")
        or next;
    is($l->{file}, $c->{file}, "$fn: in $c->{file}");

    my ($list, $count) = c_lists($fn, $prefix, $c->{defs});
    my @ck = map { $_->[0] } @{ $list->{K} || [] };
    my @ca = map { $_->[0] } @{ $list->{A} || [] };

    is_deeply([ map { lc } @ck ], $l->{keys}, "$fn: KEYS by name");
    is_deeply([ map { lc } @ca ], $l->{args}, "$fn: ARGV by name");

    my $nkeys = @{ $l->{keys} };
    is_deeply([ map { $_->[1] } @{ $list->{K} || [] } ], [ 0 .. $nkeys - 1 ],
              "$fn: _K_ are the KEYS indexes");
    is_deeply([ map { $_->[1] } @{ $list->{A} || [] } ],
              [ $nkeys .. $nkeys + @{ $l->{args} } - 1 ],
              "$fn: _A_ follow the keys");
    is($count->{NKEYS}, $nkeys, "$fn: _NKEYS");
    is($count->{N}, $nkeys + @{ $l->{args} }, "$fn: _N");
}

for my $name (sort keys %cfields) {
    my $c = $cfields{$name};
    my $l = $lfields{$name};
    ok($l, "$name: named in the header, a list in redis/$c->{file}")
        or next;

    my $prefix = 'NGX_HTTP_BEDRUD_' . ($name =~ /^(\w+)_FIELDS$/)[0];
    my ($list, $count) = c_lists($name, $prefix, $c->{defs});
    my @cf = @{ $list->{F} || [] };

    is_deeply([ map { norm($_->[0]) } @cf ], [ map { norm($_) } @{ $l->{names} } ],
              "$name: fields by name");
    is_deeply([ map { $_->[1] } @cf ], [ 0 .. $#cf ],
              "$name: _F_ are the positions");
    is($count->{NFIELDS}, scalar @{ $l->{names} }, "$name: _NFIELDS");
}

# redis/SCHEMA.md lists every function with the same KEYS and ARGV
{
    my %row;
    for my $line (split /\n/, slurp("$top/redis/SCHEMA.md")) {
        my ($fn, $k, $a) = $line =~ /^\| `(bedrud_\w+)` \|([^|]*)\|([^|]*)\|/
            or next;
        for ($k, $a) {
            s/\([^)]*\)//g;      # "(one per family)" is a note
        }
        $row{$fn} = [ [ $k =~ /(\w+)/g ], [ $a =~ /(\w+)/g ] ];
    }

    for my $fn (sort keys %lfn) {
        ok($row{$fn}, "$fn: listed in redis/SCHEMA.md") or next;
        is_deeply($row{$fn}, [ $lfn{$fn}{keys}, $lfn{$fn}{args} ],
                  "$fn: SCHEMA.md gives its KEYS and ARGV");
    }
}

# nginx calls functions by their names in the header only, and each
{
    my %called;
    for my $src (glob "$top/ngx_bedrud_module/*.c") {
        my $text = slurp($src);
        $called{'bedrud_' . lc $1} = 1
            while $text =~ /ngx_http_bedrud_call\(r, ctx, (\w+),/g;
        $called{'bedrud_' . lc $1} = 1
            while $text =~ /ngx_http_bedrud_fcall\(r, ctx, NGX_HTTP_BEDRUD_(\w+),/g;
        my @strings = $text =~ /ngx_http_bedrud_fcall\(r, ctx, (")/g;
        ok(!@strings, "$src: no function called by a string of its own");
    }
    is_deeply([ sort keys %called ], [ sort keys %cfn ],
              'nginx calls every function the header names, and no other');
}

done_testing();
