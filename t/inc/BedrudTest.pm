package BedrudTest;

# Shared helpers for the ngx_bedrud Test::Nginx suites: the common
# http{} configuration, HS256 token minting with the test secret, direct
# Redis access for fixtures, and a small control daemon that lets a test
# stop and start its own Redis between two requests of one block.

use strict;
use warnings;

use Digest::SHA qw(hmac_sha256);
use MIME::Base64 qw(encode_base64url);
use JSON::PP ();
use IO::Socket::INET;
use POSIX ();
use Time::HiRes qw(sleep);
use Exporter 'import';

our @EXPORT = qw(mint mint_pair b64url jwt_sign redis_cli uuid json_of
                 http_config free_port free_range secret);

# scrypt (ln=10, r=8, p=1) of "correct horse battery", made by the module
our $PW = 'correct horse battery';
our $PW_HASH = '$scrypt$ln=10,r=8,p=1$6Jyy+uOOVKcNw6ahAA+0MA$'
    . 'CL5vCcicHuEGElKXmt9cTWLDCwODpB/EwsH8NUVJgAM';

# the Redis database fixtures go to (blocks that change global settings
# use a database of their own: bedrud_redis ... db=N)
our $DB = 0;

$ENV{TEST_NGINX_REDIS_PORT} ||= 6379;
$ENV{TEST_NGINX_TOP} ||= do { my $d = `pwd`; chomp $d; $d };

my $json = JSON::PP->new->canonical(1);

# a secret of t/data (default: the JWT one)
sub secret {
    my ($name) = @_;
    $name //= 'jwt.secret';
    open my $fh, '<', "$ENV{TEST_NGINX_TOP}/t/data/$name" or die $!;
    my $s = <$fh>;
    $s =~ s/\s+\z//;
    return $s;
}

sub b64url { return encode_base64url($_[0]) }

sub json_of { return $json->encode($_[0]) }

sub jwt_sign {
    my ($header, $claims, $key) = @_;
    my $h = ref $header ? json_of($header) : $header;
    my $c = ref $claims ? json_of($claims) : $claims;
    my $input = b64url($h) . '.' . b64url($c);
    return $input . '.' . b64url(hmac_sha256($input, $key // secret()));
}

sub uuid {
    my @b = map { int(rand(256)) } 1 .. 16;
    $b[6] = ($b[6] & 0x0f) | 0x40;
    $b[8] = ($b[8] & 0x3f) | 0x80;
    my $h = join '', map { sprintf '%02x', $_ } @b;
    return join '-', substr($h, 0, 8), substr($h, 8, 4), substr($h, 12, 4),
        substr($h, 16, 4), substr($h, 20);
}

# A Bedrud token with our claims; %o overrides or deletes (undef) claims.
sub mint {
    my (%o) = @_;
    my $now = time;
    my $uid = delete $o{uid} // uuid();
    my %c = (
        userId => $uid, sub => $uid, email => 'x@example.com', name => 'X',
        provider => 'local', accesses => ['user'], iss => 'bedrud',
        aud => ['bedrud'], iat => $now, nbf => $now, exp => $now + 600,
        jti => uuid(), fam => uuid(), typ => 'access',
    );
    my $alg = delete $o{alg} // 'HS256';
    my $key = delete $o{key};
    for my $k (keys %o) {
        if (defined $o{$k}) { $c{$k} = $o{$k} } else { delete $c{$k} }
    }
    return jwt_sign({ alg => $alg, typ => 'JWT' }, \%c, $key);
}

sub redis_cli {
    my @cmd = @_;
    my $port = $ENV{TEST_NGINX_REDIS_PORT};
    my $pid = open(my $fh, '-|');
    die "fork: $!" unless defined $pid;
    if ($pid == 0) {
        exec 'redis-cli', '-p', $port, '-n', $DB, '--raw', @cmd
            or POSIX::_exit(127);
    }
    local $/;
    my $out = <$fh>;
    close $fh;
    $out //= '';
    $out =~ s/\s+\z//;
    return $out;
}

# A user record and an open login session straight in Redis; returns
# (uid, access token, refresh token, family, refresh jti).
sub mint_pair {
    my (%o) = @_;
    my $uid = $o{uid} // uuid();
    my $fam = $o{fam} // uuid();
    my $rjti = uuid();
    my $acc = $o{accesses} // ['user'];
    my $email = $o{email} // "u$uid\@example.com";
    redis_cli('HSET', "bedrud:user:{$uid}", 'id', $uid, 'email', $email,
        'name', $o{name} // 'Fixture User', 'provider', $o{provider} // 'local',
        'avatarUrl', '', 'accesses', json_of($acc),
        'isActive', ($o{inactive} ? '0' : '1'), 'pwhash', $o{pwhash} // '',
        'createdAt', '2026-01-01T00:00:00Z', 'updatedAt', '2026-01-01T00:00:00Z')
        unless $o{no_user};
    redis_cli('SET', 'bedrud:email:' . lc $email, $uid) unless $o{no_user};
    redis_cli('HSET', "bedrud:session:{$uid}:$fam", 'jti', $rjti);
    redis_cli('EXPIRE', "bedrud:session:{$uid}:$fam", 3600);
    redis_cli('SADD', "bedrud:sessions:{$uid}", $fam);
    my %common = (uid => $uid, fam => $fam, accesses => $acc, email => $email);
    my $access = mint(%common);
    my $refresh = mint(%common, typ => 'refresh', jti => $rjti,
                       exp => time + 3600);
    return ($uid, $access, $refresh, $fam, $rjti);
}

# A port nothing listens on, taken below the kernel's ephemeral range
# (ip_local_port_range, 32768 and up by default): a port the kernel handed
# out to a client socket may be taken again by the next outgoing
# connection (LiveKit's, chromium's) before the server binds it.  Both TCP
# and UDP are free, and no port is handed out twice in one test file.
my %handed;

sub free_port {
    for (1 .. 200) {
        my $p = 15000 + int(rand(17000));
        next if $handed{$p};
        my $t = IO::Socket::INET->new(Listen => 1, LocalAddr => '127.0.0.1',
                                      LocalPort => $p, Proto => 'tcp')
            or next;
        my $u = IO::Socket::INET->new(LocalAddr => '127.0.0.1',
                                      LocalPort => $p, Proto => 'udp')
            or next;
        close $t;
        close $u;
        $handed{$p} = 1;
        return $p;
    }
    die 'no free port below the ephemeral range';
}

# $n consecutive ports, free as free_port's are
sub free_range {
    my ($n) = @_;
    for (1 .. 200) {
        my $base = 15000 + 10 * int(rand(1700 - $n));
        my @s;
        for my $p ($base .. $base + $n - 1) {
            last if $handed{$p};
            my $t = IO::Socket::INET->new(LocalAddr => '127.0.0.1',
                                          LocalPort => $p, Proto => 'udp')
                or last;
            push @s, $t;
        }
        next unless @s == $n;
        close $_ for @s;
        $handed{$_} = 1 for $base .. $base + $n - 1;
        return $base;
    }
    die "no $n free ports in a row below the ephemeral range";
}

sub http_config {
    my (%o) = @_;
    my $redis = $o{redis_port} // $ENV{TEST_NGINX_REDIS_PORT};
    my $db = defined $o{db} ? " db=$o{db}" : '';
    my $top = $ENV{TEST_NGINX_TOP};
    my $auth = $o{auth_limit} // '1000 1m';
    my $guest = $o{guest_limit} // '1000 1m';
    my $extra = $o{extra} // '';
    my $lkhost = $o{livekit_host} // 'http://127.0.0.1:7880';
    return <<"CONF";
    bedrud_redis 127.0.0.1:$redis$db;
    bedrud_redis_timeout 300ms;
    bedrud_redis_functions $top/redis/bedrud.lua $top/redis/rooms.lua $top/redis/admin.lua;
    bedrud_jwt_secret_file $top/t/data/jwt.secret;
    bedrud_zone bedrud 1m;
    bedrud_password_scrypt ln=10 r=8 p=1;
    bedrud_limit auth $auth;
    bedrud_limit guest $guest;
    bedrud_livekit_host $lkhost;
    bedrud_livekit_api_key testkey;
    bedrud_livekit_secret_file $top/t/data/livekit.secret;
$extra
CONF
}


# A Redis of the test's own, plus a tiny HTTP control daemon (GET /stop,
# /start, /pause?ms=N, /sleep?ms=N) that nginx can proxy to, so a block
# can take Redis away and bring it back between two of its requests
# (also /flush-functions: FUNCTION FLUSH).
# Returns (redis port, control port); both are stopped at exit.

my @owned;

sub own_redis {
    my (%o) = @_;
    my $rport = free_port();
    # extra server options, e.g. requirepass or unixsocket
    my @extra = map { ("--$_", $o{$_}) } sort keys %o;
    my $auth = $o{requirepass} ? "-a $o{requirepass} --no-auth-warning" : '';
    my $start = sub {
        system('redis-server', '--port', $rport, '--bind', '127.0.0.1',
               '--save', '', '--appendonly', 'no', '--daemonize', 'yes',
               '--logfile', '/dev/null', @extra) == 0
            or die "redis-server: $?";
        for (1 .. 100) {
            my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$rport");
            if ($s) { close $s; return }
            sleep 0.05;
        }
        die "redis on $rport did not start";
    };
    my $stop = sub {
        system("redis-cli -p $rport $auth shutdown nosave >/dev/null 2>&1");
        for (1 .. 100) {
            my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$rport");
            return unless $s;
            close $s;
            sleep 0.05;
        }
    };
    $start->();

    my $srv = IO::Socket::INET->new(Listen => 16, LocalAddr => '127.0.0.1',
                                    LocalPort => 0, Proto => 'tcp',
                                    ReuseAddr => 1) or die $!;
    my $cport = $srv->sockport;
    my $pid = fork;
    die "fork: $!" unless defined $pid;
    if ($pid == 0) {
        while (my $c = $srv->accept) {
            my $line = <$c> // '';
            while (my $h = <$c>) { last if $h =~ /^\r?\n\z/ }
            my ($path) = $line =~ m{^\w+ /(\S*)};
            $path //= '';
            if ($path =~ /^stop/) { $stop->() }
            elsif ($path =~ /^start/) { $start->() }
            elsif ($path =~ /^pause\?ms=(\d+)/) {
                system("redis-cli -p $rport $auth client pause $1 >/dev/null");
            }
            elsif ($path =~ /^sleep\?ms=(\d+)/) { sleep($1 / 1000) }
            elsif ($path =~ /^flush-functions/) {
                system("redis-cli -p $rport $auth function flush >/dev/null");
            }
            print $c "HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\nok\n";
            close $c;
        }
        POSIX::_exit(0);
    }
    close $srv;
    push @owned, [$pid, $stop];
    return ($rport, $cport);
}

END {
    for my $o (@owned) {
        kill 'TERM', $o->[0];
        waitpid $o->[0], 0;
        $o->[1]->();
    }
}


# --- helpers of the security suites (110-jwt-attacks.t, 120-bad-input.t) ---

# The claims mint() would sign, as a hash ref; %o as for mint().
sub claims {
    my (%o) = @_;
    my $now = time;
    my $uid = delete $o{uid} // uuid();
    my %c = (
        userId => $uid, sub => $uid, email => 'x@example.com', name => 'X',
        provider => 'local', accesses => ['user'], iss => 'bedrud',
        aud => ['bedrud'], iat => $now, nbf => $now, exp => $now + 600,
        jti => uuid(), fam => uuid(), typ => 'access',
    );
    for my $k (keys %o) {
        if (defined $o{$k}) { $c{$k} = $o{$k} } else { delete $c{$k} }
    }
    return \%c;
}

# jwt_sign() with any HMAC: $alg is HS256, HS384 or HS512 (the header is
# taken as given, so it may name another algorithm than the one used).
sub jwt_sign_hmac {
    my ($alg, $header, $claims, $key) = @_;
    my $h = ref $header ? json_of($header) : $header;
    my $c = ref $claims ? json_of($claims) : $claims;
    my $input = b64url($h) . '.' . b64url($c);
    my %f = (HS256 => \&Digest::SHA::hmac_sha256,
             HS384 => \&Digest::SHA::hmac_sha384,
             HS512 => \&Digest::SHA::hmac_sha512);
    my $mac = $f{$alg} or die "no HMAC $alg";
    return $input . '.' . b64url($mac->($input, $key // secret()));
}

# The token with the signature's character at $pos (default 10) changed.
sub flip_sig {
    my ($t, $pos) = @_;
    my $i = rindex($t, '.') + 1 + ($pos // 10);
    my $ch = substr($t, $i, 1);
    substr($t, $i, 1) = $ch eq 'A' ? 'B' : 'A';
    return $t;
}

# A body in chunked transfer coding, $size bytes per chunk.
sub chunked {
    my ($body, $size) = @_;
    $size ||= 4096;
    my $out = '';
    for (my $i = 0; $i < length $body; $i += $size) {
        my $part = substr($body, $i, $size);
        $out .= sprintf("%x\r\n", length $part) . $part . "\r\n";
    }
    return $out . "0\r\n\r\n";
}

1;
