#!/usr/bin/perl

# Unit tests of the pure C helpers (password, JWT, validation): builds
# t/unit/test_helpers with "make -C t/unit" and hands its TAP to prove.
#
#   prove t/unit.t
#   UNIT_VALGRIND=1 prove t/unit.t    under valgrind (slow scrypt skipped)

use strict;
use warnings;

use File::Basename qw(dirname);
use Cwd qw(abs_path);

my $top = abs_path(dirname(abs_path(__FILE__)) . '/..');
my $build = $ENV{BUILD} || "$top/build";
my $bin = "$build/unit/test_helpers";

my $log = `make --no-print-directory -C '$top/t/unit' BUILD='$build' 2>&1`;

if ($? != 0) {
    print "1..1\n";
    print "not ok 1 - build t/unit/test_helpers (make -C t/unit)\n";
    print STDERR "# $_\n" for split /\n/, $log;
    exit 1;
}

if ($ENV{UNIT_VALGRIND}) {
    $ENV{BEDRUD_UNIT_SKIP_SLOW} = 1;
    exec 'valgrind', '-q', '--error-exitcode=99', '--leak-check=full',
        '--show-leak-kinds=definite,indirect',
        '--errors-for-leak-kinds=definite,indirect', $bin
        or die "exec valgrind: $!\n";
}

exec $bin or die "exec $bin: $!\n";
