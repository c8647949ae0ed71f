# The web client end to end (plain Test::More): web/dist served by the
# same nginx as the API, LiveKit behind it, and web/test/e2ee.mjs driving
# Debian's chromium (playwright-core) through an E2EE meeting of three:
# the two with the link's key see each other, encrypted; the one with
# another key, a guest, cannot decrypt them; nobody is removed.  Then the server
# side: the key never reached nginx, and LiveKit only ever reported
# encrypted tracks.
#
# make test builds web/dist (npm ci, vite build) and var/bin/livekit-server
# first.  BEDRUD_E2E=0 skips this file.

use strict;
use warnings;

use lib 't/inc';
use BedrudTest;
use E2E;
use Test::More;
use HTTP::Tiny;

plan skip_all => 'BEDRUD_E2E=0' if ($ENV{BEDRUD_E2E} // '1') eq '0';
E2E::need_browser();
plan skip_all => "no Redis on port $ENV{TEST_NGINX_REDIS_PORT}"
    unless redis_cli('PING') eq 'PONG';

my $e = E2E::start();
pass('livekit-server and nginx answer');

my $res = HTTP::Tiny->new->get("$e->{url}/r/some-room");
is($res->{status}, 200, 'a meeting path serves the client');
like($res->{headers}{'content-security-policy'} // '', qr/script-src 'self';/,
     'under a strict CSP');

# the browser run, each of its checks one of ours
my ($room, $key) = E2E::browser($e->{url});

my $access = E2E::slurp("$e->{dir}/logs/access.log");
my $error = E2E::slurp("$e->{dir}/logs/error.log");
my $lk = E2E::slurp("$e->{dir}/livekit.log");

like($access, qr{"GET /r/\Q$room\E HTTP}, 'the meeting page was fetched');
unlike("$access$error", qr/\Q$key\E/, 'the room key never reached nginx');
unlike($lk, qr/\Q$key\E/, 'nor LiveKit');
like($access, qr{"POST /api/livekit/webhook HTTP/1\.1" 200 }, 'LiveKit delivered its webhooks');
unlike($error, qr/published an unencrypted/, 'no track was unencrypted');
unlike($error, qr/\[(?:alert|crit|emerg)\]/, 'no [alert], [crit] or [emerg]');

done_testing();
