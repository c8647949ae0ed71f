# The pages around the meetings in Debian's chromium (plain Test::More),
# against nginx + the module + LiveKit (t/inc/E2E.pm):
#
#   web/test/dashboard.mjs  the rooms dashboard (cards, create, settings
#                           and what they do to a meeting in progress,
#                           delete, join), sessions (restored from the
#                           cookie, single-flight refresh across tabs,
#                           expiry and back) and the account pages;
#   web/test/admin.mjs      the superadmin's console: overview, rooms with
#                           their E2EE dot, a room's live participants with
#                           each track's encryption, kick, mute, close,
#                           users, settings and invite codes; a non-admin
#                           gets none of it.
#
# The superadmin is made here, straight in Redis (as tools/bedrud-user
# does), with the browser tests' password. The settings the console
# changes are put back afterwards. Screenshots at desktop and phone size go
# to var/screenshots/ (not in git). BEDRUD_E2E=0 skips this file.

use strict;
use warnings;

use lib 't/inc';
use BedrudTest;
use E2E;
use Test::More;

my $top = $ENV{TEST_NGINX_TOP};

plan skip_all => 'BEDRUD_E2E=0' if ($ENV{BEDRUD_E2E} // '1') eq '0';
E2E::need_browser();
plan skip_all => "no Redis on port $ENV{TEST_NGINX_REDIS_PORT}"
    unless redis_cli('PING') eq 'PONG';

my $e = E2E::start();
pass('livekit-server and nginx answer');

# --- the rooms dashboard and the account pages ------------------------------

# (REDIS_PORT: it pauses the Redis for a few seconds to see the pages say so)
my ($rc) = E2E::browser_run($e, 'test/dashboard.mjs',
                            SCREENSHOTS => "$top/var/screenshots",
                            REDIS_PORT => $ENV{TEST_NGINX_REDIS_PORT});
is($rc, 0, 'the dashboard run ended well');

# --- the console ------------------------------------------------------------

# the system settings are global: as they were, whatever happens
my @settings = split /\n/, redis_cli('HGETALL', 'bedrud:settings');
END {
    local $?;
    redis_cli('DEL', 'bedrud:settings');
    redis_cli('HSET', 'bedrud:settings', @settings) if @settings;
}

my $admin = 'ada-' . int(rand(1_000_000_000)) . '@example.com';
my ($ada) = mint_pair(email => $admin, name => 'Ada Admin',
                      accesses => ['user', 'superadmin'], pwhash => $BedrudTest::PW_HASH);
redis_cli('ZADD', 'bedrud:users', time, $ada);

($rc) = E2E::browser_run($e, 'test/admin.mjs',
                         SCREENSHOTS => "$top/var/screenshots",
                         ADMIN_EMAIL => $admin);
is($rc, 0, 'the console run ended well');

my $error = E2E::slurp("$e->{dir}/logs/error.log");
unlike($error, qr/\[(?:alert|crit|emerg)\]/, 'no [alert], [crit] or [emerg]');

done_testing();
