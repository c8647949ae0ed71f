# Concurrent refreshes with one refresh token (two tabs restored at once,
# or a page's own requests racing) do not end the session: within
# bedrud_refresh_grace of a rotation, the token just rotated gets the
# same successor pair again.  After the grace, reusing it is a replay and
# revokes the whole session, as before.  Plain Test::More: Test::Nginx
# cannot fire requests at the same moment.

use strict;
use warnings;

use lib 't/inc';
use BedrudTest;
use Race qw(http_req race read_response);
use Test::More;
use IO::Socket::INET;
use JSON::PP ();
use MIME::Base64 qw(decode_base64url);
use Time::HiRes qw(sleep);

plan skip_all => "no Redis on port $ENV{TEST_NGINX_REDIS_PORT}"
    unless redis_cli('PING') eq 'PONG';

my $GRACE = 2;
my $json = JSON::PP->new;

my $ngx = BedrudTest::own_nginx(
    workers => 2,
    http => http_config(extra => "    bedrud_refresh_grace ${GRACE}s;"));
my $port = $ngx->{port};

# the web client's refresh: the cookie, no body
sub refresh_text {
    my ($token) = @_;
    return "POST /api/auth/refresh HTTP/1.0\r\nHost: localhost\r\n"
         . "Origin: http://localhost\r\n"
         . "Cookie: refresh_token=$token\r\n\r\n";
}

sub refresh {
    my ($token) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port")
        or return (0, '');
    syswrite $s, refresh_text($token);
    return read_response($s);
}

sub claims { $json->decode(decode_base64url((split /\./, $_[0])[1])) }

sub me {
    my ($access) = @_;
    my ($st) = http_req($port, 'GET', '/api/auth/me', undef, $access);
    return $st;
}

# --- ten refreshes at once ------------------------------------------------

my ($uid, $access, $refresh, $fam) = mint_pair();

my @lines = race({ full => 1 }, map { [$port, refresh_text($refresh)] } 1 .. 10);
my @ok = grep { /^200 / } @lines;
is(scalar @ok, 10, 'ten concurrent refreshes with one token: all 200')
    or diag(join "\n", @lines);

my %pairs;
for (@ok) {
    my ($body) = /^200 (.*)$/;
    my $d = eval { $json->decode($body) } // {};
    $pairs{"$d->{access_token} $d->{refresh_token}"}++;
}
is(scalar keys %pairs, 1, 'all got the same successor pair');

my ($new_access, $new_refresh) = split / /, (keys %pairs)[0];
my $jti = claims($new_refresh)->{jti};
is(redis_cli('HGET', "bedrud:session:{$uid}:$fam", 'jti'), $jti,
   'one successor: the session holds its refresh token');
is(claims($new_refresh)->{fam}, $fam, 'the same session');
is(me($new_access), 200, 'its access token works');

# --- the grace is for the token rotated last only -------------------------

my ($st, $body) = refresh($new_refresh);
is($st, 200, 'the successor rotates in turn');
my $third = eval { $json->decode($body) } // {};

($st) = refresh($refresh);
is($st, 401, 'the first token, two rotations old, is a replay');
is(me($third->{access_token}), 401, 'which ends the session');
is((refresh($third->{refresh_token}))[0], 401,
   'the newest refresh token with it');

# --- after the grace, a reuse revokes -------------------------------------

($uid, $access, $refresh, $fam) = mint_pair();

($st, $body) = refresh($refresh);
is($st, 200, 'a second session refreshes');
my $next = eval { $json->decode($body) } // {};

sleep $GRACE + 1.5;

($st, $body) = refresh($refresh);
is($st, 401, "the rotated token, reused after ${GRACE}s, is refused");
is(me($next->{access_token}), 401, 'the session is revoked');
is((refresh($next->{refresh_token}))[0], 401, 'its successor too');
is(redis_cli('EXISTS', "bedrud:session:{$uid}:$fam"), 0,
   'the session is gone from Redis');

my $log = BedrudTest::slurp_file($ngx->{log});
like($log, qr/refresh token reuse detected/, 'the replays were logged');
unlike($log, qr/\[(alert|crit|emerg)\]/, 'no alert, crit or emerg');

done_testing();
