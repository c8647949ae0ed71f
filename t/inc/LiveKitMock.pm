# A mock of LiveKit's RoomService (Twirp) for the tests, and rooms straight
# in Redis.  The mock runs in a child process, one connection at a time;
# "GET /last" answers the last call it got (or "none"), "GET /reset"
# forgets it.  Each call's token is checked as LiveKit would (HS256 over
# the LiveKit secret, the grant the method needs); a bad one gets 401.
# RemoveParticipant of identity "absent" gets 404, identity "slow" waits
# 3 s.

package LiveKitMock;

use strict;
use warnings;

use BedrudTest;
use Digest::SHA qw(hmac_sha256);
use MIME::Base64 qw(encode_base64url decode_base64url);
use JSON::PP ();
use IO::Socket::INET;
use POSIX ();

use Exporter 'import';
our @EXPORT_OK = qw(lk_secret mock_twirp lk_location twirp_location
                    make_room load_rooms);

my $n = int(rand(1_000_000_000));
my $rooms = 0;
my $secret;

sub lk_secret {
    return $secret //= BedrudTest::secret('livekit.secret');
}

# the rooms library as it is in the tree, whatever nginx loaded before
sub load_rooms {
    my $f = "$ENV{TEST_NGINX_TOP}/redis/rooms.lua";
    open my $fh, '<', $f or die "$f: $!";
    local $/;
    my $lua = <$fh>;
    BedrudTest::redis_cli('FUNCTION', 'LOAD', 'REPLACE', $lua);
}

# starts the mock; returns its port.  It stops when the test file ends.
my ($mock_pid, $parent_pid);

sub mock_twirp {
    my $srv = IO::Socket::INET->new(Listen => 16, LocalAddr => '127.0.0.1',
                                    LocalPort => 0, Proto => 'tcp',
                                    ReuseAddr => 1) or die $!;
    my $port = $srv->sockport;
    my $pid = fork;
    die "fork: $!" unless defined $pid;
    if ($pid) {
        close $srv;
        ($mock_pid, $parent_pid) = ($pid, $$);
        return $port;
    }
    my $last = 'none';
    while (my $c = $srv->accept) {
        my $line = <$c> // '';
        my %h;
        while (my $l = <$c>) {
            last if $l =~ /^\r?\n\z/;
            $h{lc $1} = $2 if $l =~ /^([^:]+):\s*(.*?)\r?\n\z/;
        }
        my $body = '';
        read($c, $body, $h{'content-length'}) if $h{'content-length'};
        my ($m, $path) = $line =~ m{^(\w+) (\S+)};
        $path //= '';
        my ($status, $out) = (200, '{}');
        if ($path eq '/last') {
            $out = $last;
        } elsif ($path eq '/reset') {
            $last = 'none';
            $out = 'ok';
        } else {
            my $verdict = check($path, $h{authorization} // '', $body);
            $last = "$m $path ct=" . ($h{'content-type'} // '')
                . " token=$verdict body=$body";
            my $req = eval { JSON::PP->new->decode($body) } // {};
            if ($verdict !~ /^ok /) {
                ($status, $out) = (401, 'unauthorized');
            } elsif ($path =~ /RemoveParticipant$/
                     && ($req->{identity} // '') eq 'absent')
            {
                ($status, $out) =
                    (404, '{"code":"not_found","msg":"participant not found"}');
            } elsif (($req->{identity} // '') eq 'slow') {
                sleep 3;
            }
        }
        my $reason = { 200 => 'OK', 401 => 'Unauthorized',
                       404 => 'Not Found' }->{$status};
        print $c "HTTP/1.1 $status $reason\r\nContent-Type: application/json"
            . "\r\nContent-Length: " . length($out)
            . "\r\nConnection: close\r\n\r\n$out";
        close $c;
    }
    POSIX::_exit(0);
}

END {
    local $?;    # waitpid() would make the signal our exit status
    if ($mock_pid && $$ == $parent_pid) {
        kill "TERM", $mock_pid;
        waitpid $mock_pid, 0;
    }
}

# "ok <claims>" or why the token would be refused by LiveKit
sub check {
    my ($path, $auth, $body) = @_;
    my $canon = JSON::PP->new->canonical(1);
    return 'no-bearer' unless $auth =~ /^Bearer (\S+)\z/;
    my ($h, $p, $s) = split /\./, $1;
    return 'malformed' unless defined $s;
    return 'bad-signature'
        unless encode_base64url(hmac_sha256("$h.$p", lk_secret())) eq $s;
    my $hd = eval { JSON::PP->new->decode(decode_base64url($h)) } // {};
    return 'bad-alg' unless ($hd->{alg} // '') eq 'HS256';
    my $c = eval { JSON::PP->new->decode(decode_base64url($p)) } // {};
    my $now = time;
    return 'bad-times' unless ($c->{nbf} // 1e12) <= $now + 5
        && ($c->{exp} // 0) > $now && $c->{exp} - $c->{nbf} <= 600;
    return 'bad-iss' unless ($c->{iss} // '') eq 'testkey';
    my $v = $c->{video} // {};
    my $req = eval { JSON::PP->new->decode($body) } // {};
    if ($path =~ /DeleteRoom$/) {
        return 'no-roomCreate' unless $v->{roomCreate};
    } else {
        return 'no-roomAdmin' unless $v->{roomAdmin}
            && ($v->{room} // '') eq ($req->{room} // '-');
    }
    delete @$c{qw(nbf exp)};
    return 'ok ' . $canon->encode($c);
}

# the internal location of bedrud_livekit_api: RoomService at PORT
sub twirp_location {
    my ($port) = @_;
    return "location /_livekit/ { internal;
        proxy_pass http://127.0.0.1:$port/twirp/livekit.RoomService/;
        proxy_method POST;
        proxy_pass_request_headers off;
        proxy_set_header Content-Type application/json;
        proxy_set_header Authorization \$bedrud_livekit_auth;
        proxy_set_body \$bedrud_livekit_body;
        proxy_connect_timeout 1s;
        proxy_read_timeout 2s; }";
}

# that location proxying to a mock on PORT, /lk/ reaching the mock's
# /last and /reset (at MOCK, if PORT is not the mock), and the API
sub lk_location {
    my ($port, $mock) = @_;
    $mock //= $port;
    return twirp_location($port) . "
     location /lk/ { proxy_pass http://127.0.0.1:$mock/; }
     location /api/ { bedrud_api; }";
}

# a room straight in Redis (max => seats, 20; e2ee => 1); returns (id, name)
sub make_room {
    my (%o) = @_;
    my $id = BedrudTest::uuid();
    my $name = $o{name} // "lk-$n-" . ++$rooms;
    my $e2ee = $o{e2ee} ? 'true' : 'false';
    my $now = time;
    my $r = BedrudTest::redis_cli('FCALL', 'bedrud_room_create', 4,
        "bedrud:roomname:$name", "bedrud:room:{$id}",
        "bedrud:user:{$o{owner}}:rooms", 'bedrud:rooms',
        $id, $name, $o{owner}, $o{max} // 20, 0, 'standard',
        '{"allowChat":true,"allowVideo":true,"allowAudio":true,'
        . qq{"requireApproval":false,"e2ee":$e2ee\}}, '2026-01-01T00:00:00Z',
        '2026-01-02T00:00:00Z', $now * 1000 + $rooms, $now);
    die "make_room: $r" unless $r =~ /^OK/;
    return ($id, $name);
}

1;
