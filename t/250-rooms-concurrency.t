# Rooms under concurrency and crashes (plain Test::More: Test::Nginx
# cannot fire requests at once).  Starts its own nginx instances:
#
#   - 50 simultaneous creates of one name: exactly one 200, 49 x 409;
#   - 50 simultaneous joins (distinct users) of a 10-seat room: exactly
#     10 x 200, 40 x 403 "room is full"; the same for 50 guests;
#   - a room survives kill -9 of nginx;
#   - a room survives kill -9 of Redis (a second Redis with the shipped
#     redis/redis.conf: AOF, appendfsync always);
#   - no [alert], [crit] or [emerg] in the error logs.
#
# Environment as for the Test::Nginx suites: TEST_NGINX_REDIS_PORT,
# TEST_NGINX_TOP, TEST_NGINX_LOAD_MODULES, TEST_NGINX_BINARY.

use strict;
use warnings;

use lib 't/inc';
use BedrudTest;
use Race qw(request_text http_req race count_status);
use Test::More;
use IO::Socket::INET;
use File::Temp qw(tempdir);
use POSIX ();
use Time::HiRes qw(sleep time);
use JSON::PP ();

my $top = $ENV{TEST_NGINX_TOP};
my $nginx = $ENV{TEST_NGINX_BINARY} || '/usr/sbin/nginx';
my @modules = split ' ', ($ENV{TEST_NGINX_LOAD_MODULES}
                          || "$top/build/ngx_bedrud_module.so");
my $clients = 50;
my $n = int(rand(1_000_000_000));
my $json = JSON::PP->new;

plan skip_all => "no Redis on port $ENV{TEST_NGINX_REDIS_PORT}"
    unless redis_cli('PING') eq 'PONG';
plan skip_all => 'redis-server not found'
    unless grep { -x "$_/redis-server" } split /:/, $ENV{PATH};

my $tmp = tempdir('bedrud-rooms-XXXXXX', TMPDIR => 1, CLEANUP => 1);
my %nginx_pids;     # prefix -> master pid, for the END block
my $redis2_pid;

END {
    # only what this test started, by pid
    for my $dir (keys %nginx_pids) {
        kill_tree($nginx_pids{$dir}, 'KILL') if $nginx_pids{$dir};
    }
    kill 'KILL', $redis2_pid if $redis2_pid;
}


# --- nginx instances ----------------------------------------------------

sub start_nginx {
    my (%o) = @_;
    my $dir = $o{dir};
    mkdir $dir;
    mkdir "$dir/$_" for qw(conf logs);
    my $user = $> == 0 ? 'user root;' : '';
    my $load = join "\n", map { "load_module $_;" } @modules;
    my $http = http_config(redis_port => $o{redis_port});

    open my $fh, '>', "$dir/conf/nginx.conf" or die $!;
    print $fh <<"CONF";
$load
$user
worker_processes 2;
daemon on;
master_process on;
pid $dir/logs/nginx.pid;
error_log $dir/logs/error.log info;
events { worker_connections 1024; }
http {
    access_log off;
$http
    server {
        listen 127.0.0.1:$o{port} backlog=511;
        location /api/ { bedrud_api; }
    }
}
CONF
    close $fh;

    system($nginx, '-p', "$dir/", '-c', "$dir/conf/nginx.conf",
           '-e', "$dir/logs/error.log") == 0
        or die "cannot start nginx in $dir";

    # wait for the pid file and for Redis to be reachable through nginx
    my $deadline = time + 15;
    while (time < $deadline) {
        if (open my $p, '<', "$dir/logs/nginx.pid") {
            my $pid = <$p>;
            chomp $pid if defined $pid;
            $nginx_pids{$dir} = $pid if $pid;
        }
        my ($st) = http_req($o{port}, 'GET', '/api/health');
        return if $st && $st == 200 && $nginx_pids{$dir};
        sleep 0.1;
    }
    die "nginx in $dir did not become healthy";
}

sub children_of {
    my ($ppid) = @_;
    my @kids;
    opendir my $d, '/proc' or return ();
    for my $p (grep { /^\d+$/ } readdir $d) {
        open my $f, '<', "/proc/$p/stat" or next;
        my $stat = <$f>;
        next unless defined $stat && $stat =~ /\)\s+\S+\s+(\d+)/;
        push @kids, $p if $1 == $ppid;
    }
    return @kids;
}

# kill -9 (or another signal) of a master and its workers, by pid
sub kill_tree {
    my ($pid, $sig) = @_;
    my @kids = children_of($pid);
    kill $sig, $pid, @kids;
    my $deadline = time + 5;
    while (time < $deadline && (kill 0, $pid, @kids)) {
        sleep 0.05;
    }
}

sub stop_nginx {
    my ($dir) = @_;
    my $pid = delete $nginx_pids{$dir} or return;
    my @kids = children_of($pid);
    kill 'QUIT', $pid;
    my $deadline = time + 10;
    while (time < $deadline && (kill 0, $pid, @kids)) {
        sleep 0.05;
    }
    kill 'KILL', $pid, @kids if kill 0, $pid, @kids;
}

sub log_ok {
    my ($dir, $what) = @_;
    open my $fh, '<', "$dir/logs/error.log" or die $!;
    my @bad = grep { /\[(alert|crit|emerg)\]/ } <$fh>;
    is(scalar @bad, 0, "$what: no [alert], [crit] or [emerg] in the log")
        or diag(join '', @bad[0 .. ($#bad < 4 ? $#bad : 4)]);
}


# --- 1. races -----------------------------------------------------------

my $port = free_port();
my $dir1 = "$tmp/nginx1";
start_nginx(dir => $dir1, port => $port,
            redis_port => $ENV{TEST_NGINX_REDIS_PORT});

{
    my $name = "race-$n";
    my @reqs = map {
        my (undef, $a) = mint_pair();
        request_text('POST', '/api/room/create', "{\"name\":\"$name\"}", $a)
    } 1 .. $clients;

    my @lines = race(map { [$port, $_] } @reqs);
    my $c = count_status(@lines);
    is(scalar @lines, $clients, "create race: $clients answers");
    is($c->{200} // 0, 1, 'create race: exactly one 200');
    is($c->{409} // 0, $clients - 1, 'create race: the others 409');
    is(scalar(grep { /^409 \{"error":"a room with this name already exists"\}$/ }
              @lines),
       $clients - 1, 'create race: 409 with Bedrud\'s message');
    is(redis_cli('EXISTS', "bedrud:roomname:$name"), '1',
       'create race: the name index exists once');
}

{
    my ($owner, $ao) = mint_pair();
    my ($st, $body) = http_req($port, 'POST', '/api/room/create',
        '{"name":"seats-' . $n . '","maxParticipants":10,"isPublic":true}',
        $ao);
    is($st, 200, 'a 10-seat room') or diag($body);
    my $id = eval { $json->decode($body)->{id} } // '';

    my @reqs = map {
        my (undef, $a) = mint_pair();
        request_text('POST', '/api/room/join',
                     "{\"roomName\":\"seats-$n\"}", $a)
    } 1 .. $clients;

    my @lines = race(map { [$port, $_] } @reqs);
    my $c = count_status(@lines);
    is(scalar @lines, $clients, "join race: $clients answers");
    is($c->{200} // 0, 10, 'join race: exactly 10 admitted');
    is(scalar(grep { /^403 \{"error":"room is full"\}$/ } @lines),
       $clients - 10, 'join race: 40 x 403 room is full');
    is(redis_cli('ZCARD', "bedrud:room:{$id}:seats"), '10',
       'join race: 10 seats held');

    # guests compete for seats just the same
    ($st, $body) = http_req($port, 'POST', '/api/room/create',
        '{"name":"gseats-' . $n . '","maxParticipants":10,"isPublic":true}',
        $ao);
    is($st, 200, 'a second 10-seat room');
    @reqs = map {
        request_text('POST', '/api/room/guest-join',
                     "{\"roomName\":\"gseats-$n\",\"guestName\":\"G$_\"}")
    } 1 .. $clients;
    @lines = race(map { [$port, $_] } @reqs);
    $c = count_status(@lines);
    is($c->{200} // 0, 10, 'guest race: exactly 10 admitted');
    is($c->{403} // 0, $clients - 10, 'guest race: the others 403');
}

log_ok($dir1, 'races');


# --- 2. kill -9 nginx ---------------------------------------------------

{
    my ($owner, $ao) = mint_pair();
    my ($st) = http_req($port, 'POST', '/api/room/create',
                        "{\"name\":\"crash-$n\"}", $ao);
    is($st, 200, 'room created before kill -9 of nginx');

    kill_tree($nginx_pids{$dir1}, 'KILL');
    delete $nginx_pids{$dir1};
    ($st) = http_req($port, 'GET', '/api/health');
    is($st, 0, 'nginx is gone');

    start_nginx(dir => $dir1, port => $port,
                redis_port => $ENV{TEST_NGINX_REDIS_PORT});

    my $body;
    ($st, $body) = http_req($port, 'GET', '/api/room/list', undef, $ao);
    is($st, 200, 'list after the restart');
    like($body, qr/"name":"crash-$n"/, 'the room is still there');
    ($st) = http_req($port, 'POST', '/api/room/join',
                     "{\"roomName\":\"crash-$n\"}", $ao);
    is($st, 200, 'and can be joined');
}

log_ok($dir1, 'nginx restart');
stop_nginx($dir1);


# --- 3. kill -9 Redis ---------------------------------------------------

{
    my $rdir = "$tmp/redis";
    mkdir $rdir;
    my $rport = free_port();
    my @redis = ('redis-server', "$top/redis/redis.conf",
                 '--appendonly', 'yes', '--appendfsync', 'always',
                 '--dir', $rdir, '--port', $rport, '--daemonize', 'yes',
                 '--pidfile', "$rdir/redis.pid",
                 '--logfile', "$rdir/redis.log");

    my $start_redis = sub {
        unlink "$rdir/redis.pid";
        system(@redis) == 0 or die "cannot start redis-server";
        my $deadline = time + 10;
        local $ENV{TEST_NGINX_REDIS_PORT} = $rport;
        while (time < $deadline) {
            if (open my $p, '<', "$rdir/redis.pid") {
                my $pid = <$p>;
                chomp $pid if defined $pid;
                $redis2_pid = $pid if $pid;
            }
            last if $redis2_pid && redis_cli('PING') eq 'PONG';
            sleep 0.1;
        }
        die 'redis-server did not start'
            unless $redis2_pid && kill 0, $redis2_pid;
    };

    $start_redis->();

    my $dir2 = "$tmp/nginx2";
    my $port2 = free_port();
    start_nginx(dir => $dir2, port => $port2, redis_port => $rport);

    my ($owner, $ao);
    {
        local $ENV{TEST_NGINX_REDIS_PORT} = $rport;
        ($owner, $ao) = mint_pair();
    }

    my ($st, $body) = http_req($port2, 'POST', '/api/room/create',
        "{\"name\":\"durable-$n\",\"maxParticipants\":3,"
        . "\"settings\":{\"e2ee\":true}}", $ao);
    is($st, 200, 'room created before kill -9 of Redis') or diag($body);

    kill 'KILL', $redis2_pid;
    my $deadline = time + 5;
    sleep 0.05 while time < $deadline && kill 0, $redis2_pid;
    ok(!kill(0, $redis2_pid), 'Redis is gone');
    undef $redis2_pid;

    $start_redis->();

    # nginx reconnects by itself
    $deadline = time + 15;
    do {
        ($st, $body) = http_req($port2, 'GET', '/api/room/list', undef, $ao);
        sleep 0.2 unless $st == 200;
    } while ($st != 200 && time < $deadline);

    is($st, 200, 'list after the Redis restart');
    like($body, qr/"name":"durable-$n","createdBy":"$owner".*"maxParticipants":3,.*"e2ee":true/,
         'the room survived kill -9 of Redis');
    ($st) = http_req($port2, 'POST', '/api/room/join',
                     "{\"roomName\":\"durable-$n\"}", $ao);
    is($st, 200, 'and can be joined');

    log_ok($dir2, 'Redis restart');
    stop_nginx($dir2);

    {
        local $ENV{TEST_NGINX_REDIS_PORT} = $rport;
        redis_cli('SHUTDOWN', 'NOSAVE');
    }
    $deadline = time + 5;
    sleep 0.05 while $redis2_pid && time < $deadline && kill 0, $redis2_pid;
    undef $redis2_pid unless kill 0, $redis2_pid;
}

done_testing();
