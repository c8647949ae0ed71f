# A mock of LiveKit's RoomService (Twirp) for the tests, and rooms straight
# in Redis.  The mock runs in a child process, one connection at a time;
# "GET /last" answers the last call it got (or "none"), "GET /calls" every
# call since "GET /reset" (one per line), which also forgets the
# participants' state.  Each call's token is checked as LiveKit would
# (HS256 over the LiveKit secret, the grant the method needs); a bad one
# gets 401.  Answers are LiveKit's JSON (snake_case, every field):
#
#   - any identity is a connected participant with four tracks (mic,
#     camera, screen share and its audio; encrypted with GCM for an
#     identity "enc-..."), metadata {"accesses":["user"]} ("" for a
#     "guest-..."), kept per identity: UpdateParticipant changes it,
#     MutePublishedTrack mutes a track;
#   - identity "absent" is not connected (Twirp not_found), "broken" gets
#     Twirp's internal error, "slow" an answer after 3 s, "notracks" has
#     no track;
#   - a room named "gone-..." has no media room (not_found);
#   - ListParticipants: "enc-alice" and "bob"; ListRooms: two rooms.
#
# The line of a SendData call ends with the message decoded (" data=...").

package LiveKitMock;

use strict;
use warnings;

use BedrudTest;
use Digest::SHA qw(hmac_sha256);
use MIME::Base64 qw(encode_base64url decode_base64url);
use MIME::Base64 ();
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
    my ($last, @calls, %state) = ('none');
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
        $m //= '';
        $path //= '';
        my ($status, $out) = (200, '{}');
        if ($path eq '/last') {
            $out = $last;
        } elsif ($path eq '/calls') {
            $out = @calls ? join("\n", @calls) : 'none';
        } elsif ($path eq '/reset') {
            ($last, @calls, %state) = ('none');
            $out = 'ok';
        } else {
            my $verdict = check($path, $h{authorization} // '', $body);
            my $req = eval { JSON::PP->new->decode($body) } // {};
            $last = "$m $path ct=" . ($h{'content-type'} // '')
                . " token=$verdict body=$body";
            if ($path =~ /SendData$/ && defined $req->{data}) {
                $last .= ' data=' . MIME::Base64::decode_base64($req->{data});
            }
            push @calls, $last;
            if ($verdict !~ /^ok /) {
                ($status, $out) = (401, 'unauthorized');
            } else {
                ($status, $out) = answer($path, $req, \%state);
            }
        }
        my $reason = { 200 => 'OK', 401 => 'Unauthorized',
                       404 => 'Not Found', 500 => 'Internal Server Error',
                     }->{$status};
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

my $enc = JSON::PP->new->canonical(1);

sub twirp_error {
    my ($status, $code, $msg) = @_;
    return ($status, $enc->encode({ code => $code, msg => $msg }));
}

# a TrackInfo as Twirp writes it
sub track {
    my ($sid, $type, $source, $muted, $e2ee) = @_;
    return {
        sid => $sid, type => $type, name => lc $source, muted => $muted,
        width => 0, height => 0, simulcast => JSON::PP::false,
        disable_dtx => JSON::PP::false, source => $source,
        layers => $type eq 'VIDEO'
            ? [ { quality => 'HIGH', width => 1280, height => 720,
                  bitrate => 1700000, ssrc => 0 },
                { quality => 'LOW', width => 320, height => 180,
                  bitrate => 150000, ssrc => 0 } ]
            : [],
        mime_type => $type eq 'VIDEO' ? 'video/VP8' : 'audio/opus',
        mid => '0', codecs => [], stereo => JSON::PP::false,
        disable_red => JSON::PP::false,
        encryption => $e2ee ? 'GCM' : 'NONE', stream => '',
        version => undef, audio_features => [],
        backup_codec_policy => 'PREFER_REGRESSION',
    };
}

# a ParticipantInfo, from the mock's state of the identity
sub participant {
    my ($id, $state) = @_;
    my $s = $state->{$id} //= {
        metadata => $id =~ /^guest-/ ? '' : '{"accesses":["user"]}',
        muted => {},
        permission => {
            can_subscribe => JSON::PP::true, can_publish => JSON::PP::true,
            can_publish_data => JSON::PP::true, can_publish_sources => [],
            hidden => JSON::PP::false, recorder => JSON::PP::false,
            can_update_metadata => JSON::PP::true, agent => JSON::PP::false,
            can_subscribe_metrics => JSON::PP::false,
        },
    };
    my $e2ee = $id =~ /^enc-/;
    my @tracks = $id eq 'notracks' ? () : (
        track('TR_mic', 'AUDIO', 'MICROPHONE', 0, $e2ee),
        track('TR_cam', 'VIDEO', 'CAMERA', 0, $e2ee),
        track('TR_screen', 'VIDEO', 'SCREEN_SHARE', 0, $e2ee),
        track('TR_screenaudio', 'AUDIO', 'SCREEN_SHARE_AUDIO', 0, $e2ee));
    $_->{muted} = $s->{muted}{$_->{sid}} ? JSON::PP::true : JSON::PP::false
        for @tracks;
    return {
        sid => "PA_$id", identity => $id, state => 'ACTIVE',
        tracks => \@tracks, metadata => $s->{metadata},
        joined_at => '1795780800', joined_at_ms => '1795780800123',
        name => "Name of $id", version => 3,
        permission => $s->{permission}, region => '',
        is_publisher => @tracks ? JSON::PP::true : JSON::PP::false,
        kind => 'STANDARD', attributes => {}, disconnect_reason =>
        'UNKNOWN_REASON', kind_details => [], data_tracks => [],
    };
}

# (status, body) of a call that passed the token check
sub answer {
    my ($path, $req, $state) = @_;
    my ($method) = $path =~ m{/(\w+)$};
    my $id = $req->{identity} // '';
    my $room = $req->{room} // '';
    sleep 3 if $id eq 'slow';
    return twirp_error(404, 'not_found', 'requested room does not exist')
        if $room =~ /^gone-/;
    return twirp_error(404, 'not_found', 'participant not found')
        if $id eq 'absent';
    return twirp_error(500, 'internal', 'boom') if $id eq 'broken';
    if ($method eq 'GetParticipant') {
        return (200, $enc->encode(participant($id, $state)));
    }
    if ($method eq 'UpdateParticipant') {
        participant($id, $state);
        $state->{$id}{metadata} = $req->{metadata}
            if length($req->{metadata} // '');
        $state->{$id}{permission} = $req->{permission} if $req->{permission};
        return (200, $enc->encode(participant($id, $state)));
    }
    if ($method eq 'MutePublishedTrack') {
        participant($id, $state);
        $state->{$id}{muted}{$req->{track_sid}} = 1 if $req->{muted};
        my ($t) = grep { $_->{sid} eq ($req->{track_sid} // '') }
                       @{ participant($id, $state)->{tracks} };
        return twirp_error(404, 'not_found', 'track not found') unless $t;
        return (200, $enc->encode({ track => $t }));
    }
    if ($method eq 'ListParticipants') {
        return (200, $enc->encode({ participants => [
            participant('enc-alice', $state), participant('bob', $state) ] }));
    }
    if ($method eq 'ListRooms') {
        my $r = sub {
            my ($name, $np, $npub, $t) = @_;
            return { sid => "RM_$name", name => $name, empty_timeout => 300,
                     departure_timeout => 20, max_participants => 0,
                     creation_time => $t, creation_time_ms => "${t}000",
                     turn_password => '', enabled_codecs => [],
                     metadata => '', num_participants => $np,
                     num_publishers => $npub,
                     active_recording => JSON::PP::false, version => undef };
        };
        return (200, $enc->encode({ rooms => [
            $r->('weekly-sync', 3, 2, '1795780800'),
            $r->('standup', 1, 1, '1795784400') ] }));
    }
    return (200, '{}');
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
    } elsif ($path =~ /ListRooms$/) {
        return 'no-roomList' unless $v->{roomList};
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
        proxy_read_timeout 2s;
        subrequest_output_buffer_size 256k; }";
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
