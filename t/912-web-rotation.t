# Key rotation on removal (issue 9) in Debian's chromium (plain
# Test::More), driven by web/test/rotation.mjs against nginx + the module +
# LiveKit (t/inc/E2E.pm): the owner removes a guest, the others switch to
# a new key without a frozen picture, the removed guest back with her old
# link decodes nothing and is told her link is out of date, a newcomer
# with the new link decodes everyone, a reload keeps the new key, and a
# removal through the API by a superadmin not in the meeting rotates too.
# Then the server side: neither key reached nginx, LiveKit or Redis.
# Screenshots of the new states (a changed key's notice, an out-of-date
# link) at desktop and phone size go to var/screenshots/ (not in git).
#
# BEDRUD_E2E=0 skips this file.

use strict;
use warnings;

use lib 't/inc';
use BedrudTest;
use E2E;
use Test::More;

plan skip_all => 'BEDRUD_E2E=0' if ($ENV{BEDRUD_E2E} // '1') eq '0';
E2E::need_browser();
plan skip_all => "no Redis on port $ENV{TEST_NGINX_REDIS_PORT}"
    unless redis_cli('PING') eq 'PONG';

my $e = E2E::start();
pass('livekit-server and nginx answer');

my (undef, $admin) = mint_pair(name => 'Root', accesses => ['user', 'superadmin']);
my $top = $ENV{TEST_NGINX_TOP};
my ($rc, $n, @out) = E2E::browser_run($e, 'test/rotation.mjs', ADMIN_TOKEN => $admin,
                                       SCREENSHOTS => "$top/var/screenshots");
my ($room, $key, $other) = @$n{qw(room key other)};
is($rc, 0, 'the browser run ended well');
ok($room && $key && $other, 'it named the room and both keys') or BAIL_OUT('no room');
my ($key2) = map { /^info key2 (\S+)$/ ? $1 : () } @out;

my $access = E2E::slurp("$e->{dir}/logs/access.log");
my $error = E2E::slurp("$e->{dir}/logs/error.log");
my $lk = E2E::slurp("$e->{dir}/livekit.log");
my $redis = E2E::redis_values();

like($error, qr/"guest-\w+" kicked by/, 'the module logged the removals');
for ([$key, 'the first key'], [$other, 'the key after the first rotation'],
     [$key2 // 'none', 'the key after the second']) {
    my ($k, $what) = @$_;
    unlike("$access$error", qr/\Q$k\E/, "$what never reached nginx");
    unlike($lk, qr/\Q$k\E/, 'nor LiveKit');
    unlike($redis, qr/\Q$k\E/, 'nor Redis');
}
unlike($error, qr/published an unencrypted/, 'no track was unencrypted');
unlike($error, qr/\[(?:alert|crit|emerg)\]/, 'no [alert], [crit] or [emerg]');

done_testing();
