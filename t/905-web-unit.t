# The web client's unit tests (Vitest, web/test/unit): the key and link
# fragment logic with fixed vectors, the server's system messages and
# the disconnect reasons, the session helpers (single-flight refresh,
# the page to come back to) and the API errors in words. Each Vitest
# test is one of ours (its TAP output is read line by line). Needs
# web/node_modules (make test runs npm ci first).

use strict;
use warnings;

use Test::More;

my $top = $ENV{TEST_NGINX_TOP} // '.';
plan skip_all => 'web/node_modules is missing (make web installs it)'
    unless -x "$top/web/node_modules/.bin/vitest";

my @out = `cd '$top/web' && timeout 120 node_modules/.bin/vitest run --reporter=tap-flat 2>&1`;
my $rc = $? >> 8;
my $n = 0;
for (@out) {
    chomp;
    if (/^(not )?ok \d+ - (.*?)(?: # time=.*)?$/) {
        ok(!$1, $2);
        $n++;
    } elsif (!/^(TAP version|1\.\.\d+$)/) {
        diag($_);
    }
}
ok($n >= 20, "vitest ran the unit tests ($n)");
is($rc, 0, 'vitest exited 0');

done_testing();
