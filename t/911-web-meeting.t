# The meeting room in Debian's chromium (plain Test::More), driven by
# web/test/meeting.mjs against nginx + the module + LiveKit (t/inc/E2E.pm):
# inviting (copy, QR decoded back to the link, the key out of the address
# bar and kept for reloads, a link without key, a browser without E2EE),
# the people list, device choice, layouts, an encrypted screen share, an
# image through the encrypted chat, and moderation (ban seen by the
# target, the ban list and unban). Then the server side: the key reached
# no log and no Redis value, LiveKit saw only encrypted tracks.
#
# Screenshots at desktop and phone size go to var/screenshots/ (not in
# git). BEDRUD_E2E=0 skips this file.

use strict;
use warnings;

use lib 't/inc';
use BedrudTest;
use E2E;
use LiveKitMock ();
use Test::More;

my $top = $ENV{TEST_NGINX_TOP};

plan skip_all => 'BEDRUD_E2E=0' if ($ENV{BEDRUD_E2E} // '1') eq '0';
E2E::need_browser();
plan skip_all => "no Redis on port $ENV{TEST_NGINX_REDIS_PORT}"
    unless redis_cli('PING') eq 'PONG';

my $e = E2E::start();
pass('livekit-server and nginx answer');

# LiveKit's own API, for the server's system messages (SendData)
my ($rc, $n) = E2E::browser_run($e, 'test/meeting.mjs',
                                 SCREENSHOTS => "$top/var/screenshots",
                                 LIVEKIT_API => $e->{livekit},
                                 LIVEKIT_KEY => 'testkey',
                                 LIVEKIT_SECRET => LiveKitMock::lk_secret());
my ($room, $key) = @$n{qw(room key)};
is($rc, 0, 'the browser run ended well');
ok($room && $key, 'it named the room and its key') or BAIL_OUT('no room');

my $access = E2E::slurp("$e->{dir}/logs/access.log");
my $error = E2E::slurp("$e->{dir}/logs/error.log");
my $lk = E2E::slurp("$e->{dir}/livekit.log");

like($access, qr{"GET /api/room/[0-9a-f-]{36}/bans HTTP/1\.1" 200 }, 'the ban list was read');
unlike($access, qr{/chat/upload}, 'no chat upload was made (E2EE room)');
unlike("$access$error", qr/\Q$key\E/, 'the room key never reached nginx');
unlike($lk, qr/\Q$key\E/, 'nor LiveKit');
unlike(E2E::redis_values(), qr/\Q$key\E/, 'nor Redis');
unlike($error, qr/published an unencrypted/, 'no track was unencrypted (screen share included)');
unlike($error, qr/\[(?:alert|crit|emerg)\]/, 'no [alert], [crit] or [emerg]');

done_testing();
