# Redis with Sentinel on loopback, for the failover tests: data nodes
# (redis-server, each a child of ours so that it can be killed with -9 or
# stopped), three sentinels, a replication proxy that can hold the stream
# to a replica back (a lagging replica), nginx nodes whose bedrud_redis
# names the sentinels, and a create-and-join load.  Everything is
# stopped when the test file ends.
#
#   my $p = Sentinel::node();                       # a primary
#   my $r = Sentinel::node(replicaof => $p->{port});
#   my $s = Sentinel::sentinels(master => $p->{port});
#   Sentinel::primary($s)                           # its port, as they say
#   my $n = Sentinel::nginx(name => 'w', sentinels => $s, extra => '...');
#   my $l = Sentinel::load(nodes => [$n], clients => 4);
#   my @r = Sentinel::load_stop($l);   # every request's outcome

package Sentinel;

use strict;
use warnings;

use BedrudTest;
use E2E ();
use Test::More;
use File::Temp qw(tempdir);
use IO::Select;
use IO::Socket::INET;
use Socket qw(IPPROTO_TCP TCP_NODELAY);
use POSIX ();
use Time::HiRes qw(sleep time);

our $MASTER = 'bedrud';

my $top = $ENV{TEST_NGINX_TOP};
my $parent = $$;
my $dir = tempdir('bedrud-sentinel-XXXXXX', TMPDIR => 1, CLEANUP => 1);
chmod 0755, $dir;
# the sentinels fsync their configuration on every change: on a busy disk
# that can stall them for seconds, and a stalled sentinel enters TILT mode
# (no failover for 30 s); memory does not stall
my $fast = -d '/dev/shm' && -w '/dev/shm'
    ? tempdir('bedrud-sentinel-XXXXXX', DIR => '/dev/shm', CLEANUP => 1)
    : $dir;
my (@children, @nginx_pids);
my %auth;                       # port => password (the sentinels')

# a test killed by the runner's timeout still stops what it started
$SIG{TERM} = $SIG{INT} = sub { exit 1 };

END {
    local $?;
    return unless $$ == $parent;
    kill 'QUIT', @nginx_pids if @nginx_pids;
    kill 'CONT', @children;
    kill 'TERM', @children;
    my $deadline = time + 10;
    for my $pid (@nginx_pids, @children) {
        sleep 0.05 while kill(0, $pid) && time < $deadline
                         && waitpid($pid, POSIX::WNOHANG()) == 0;
        kill 'KILL', $pid if kill 0, $pid;
        waitpid $pid, POSIX::WNOHANG();
    }
}

sub dir { $dir }

sub spawn {
    my ($log, @cmd) = @_;
    my $pid = fork // die "fork: $!";
    if ($pid == 0) {
        POSIX::setsid();
        open STDIN, '<', '/dev/null';
        open STDOUT, '>>', $log;
        open STDERR, '>&', \*STDOUT;
        exec @cmd or POSIX::_exit(127);
    }
    push @children, $pid;
    return $pid;
}

sub cli {
    my ($port, @cmd) = @_;
    my $pid = open(my $fh, '-|') // die "fork: $!";
    if ($pid == 0) {
        open STDERR, '>', '/dev/null';
        my @a = $auth{$port} ? ('-a', $auth{$port}, '--no-auth-warning') : ();
        exec 'timeout', '3', 'redis-cli', '-p', $port, @a, '--raw', @cmd
            or POSIX::_exit(127);
    }
    local $/;
    my $out = <$fh> // '';
    close $fh;
    $out =~ s/\s+\z//;
    return $out;
}

sub wait_for {
    my ($secs, $ok) = @_;
    return E2E::wait_for('', $secs, $ok);
}

# A Redis data node on a free port (or $o{port}), no persistence: what is
# not replicated when it dies is gone, as on a machine that is lost.
# %o: port, replicaof (a port).
sub node {
    my (%o) = @_;
    my $port = $o{port} // free_port();
    my $d = "$dir/node-$port";
    mkdir $d;
    my @args = ('redis-server', '--port', $port, '--bind', '127.0.0.1',
                '--save', '', '--appendonly', 'no', '--dir', $d,
                '--daemonize', 'no', '--loglevel', 'notice',
                # a new replica gets its copy at once, not 5 s later
                '--repl-diskless-sync-delay', '0');
    push @args, '--replicaof', '127.0.0.1', $o{replicaof} if $o{replicaof};
    my $pid = spawn("$d/redis.log", @args);
    wait_for(10, sub { cli($port, 'PING') eq 'PONG' })
        or BAIL_OUT("redis-server on $port did not start: "
                    . `tail -3 $d/redis.log`);
    my %n = (port => $port, pid => $pid, log => "$d/redis.log");
    if ($o{replicaof}) {
        wait_for(10, sub { synced(\%n) })
            or BAIL_OUT("the replica on $port did not sync: "
                        . `tail -3 $d/redis.log`);
    }
    return \%n;
}

# is the replica's link to its primary up?
sub synced {
    my ($node) = @_;
    return cli($node->{port}, 'INFO', 'replication')
        =~ /^master_link_status:up\r?$/m;
}

# HGET $field of each key, pipelined on one connection: the values, in order
sub hget_many {
    my ($port, $field, @keys) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port",
                                  Proto => 'tcp') or die "redis $port: $!";
    my $req = join '', map {
        my @a = ('HGET', $_, $field);
        '*' . @a . "\r\n" . join('', map { '$' . length($_) . "\r\n$_\r\n" } @a)
    } @keys;
    my $off = 0;
    while ($off < length $req) {
        my $w = syswrite $s, $req, length($req) - $off, $off;
        die "redis $port: $!" unless defined $w;
        $off += $w;
    }
    my @v;
    my $buf = '';
    while (@v < @keys) {
        if ($buf =~ s/\A\$-1\r\n//) { push @v, undef; next }
        if ($buf =~ /\A\$(\d+)\r\n/ && length($buf) >= length($&) + $1 + 2) {
            push @v, substr($buf, length($&), $1);
            substr($buf, 0, length($&) + $1 + 2) = '';
            next;
        }
        die "redis $port: $buf" if $buf =~ /\A-/;
        my $r = sysread $s, $buf, 65536, length $buf;
        die "redis $port: closed" unless $r;
    }
    return @v;
}

sub kill9 {
    my ($node) = @_;
    kill 'KILL', $node->{pid};
    waitpid $node->{pid}, 0;
}

# Three sentinels watching the primary on port $o{master}: quorum 2, down
# after $o{down_after} ms (default 2000: less, and a busy machine makes
# them doubt a primary that is fine), $o{password} (if any) theirs.
sub sentinels {
    my (%o) = @_;
    my $down = $o{down_after} // 2000;
    my $pass = $o{password}
        ? "requirepass $o{password}\nsentinel sentinel-pass $o{password}\n"
        : '';
    my @s;
    for my $i (1 .. 3) {
        my $port = free_port();
        my $d = "$fast/sentinel-$port";
        mkdir $d;
        # sentinels rewrite their configuration file: one of their own
        open my $fh, '>', "$d/sentinel.conf" or die $!;
        print $fh <<"CONF";
port $port
bind 127.0.0.1
dir $d
sentinel monitor $MASTER 127.0.0.1 $o{master} 2
sentinel down-after-milliseconds $MASTER $down
sentinel failover-timeout $MASTER 60000
sentinel parallel-syncs $MASTER 1
$pass
CONF
        close $fh;
        $auth{$port} = $o{password} if $o{password};
        my $pid = spawn("$d/sentinel.log", 'redis-server', "$d/sentinel.conf",
                        '--sentinel');
        push @s, { port => $port, pid => $pid, log => "$d/sentinel.log" };
    }
    for my $s (@s) {
        wait_for(10, sub { cli($s->{port}, 'PING') eq 'PONG' })
            or BAIL_OUT("sentinel on $s->{port} did not start");
    }
    return \@s;
}

# does each sentinel know the others (so that they can agree)?
sub agreed {
    my ($s) = @_;
    for my $x (@$s) {
        my @n = grep { $_ eq 'name' }
                split /\n/, cli($x->{port}, 'SENTINEL', 'sentinels', $MASTER);
        return 0 unless @n == @$s - 1;
    }
    return 1;
}

# do all sentinels see the primary on $port up, no failover under way, its
# last PING answered within a second?  (Before killing anything: a
# sentinel that still doubts the last primary may start a failover of
# its own, and then none for twice failover-timeout.)
sub settled {
    my ($s, $port) = @_;
    for my $x (@$s) {
        my %m = split /\n/, cli($x->{port}, 'SENTINEL', 'master', $MASTER);
        return 0 unless ($m{ip} // '') eq '127.0.0.1'
                        && ($m{port} // '') eq $port
                        && ($m{flags} // '') eq 'master'
                        && ($m{'last-ok-ping-reply'} // 1e9) < 1000;
    }
    return 1;
}

# the primary's port as the sentinels name it ('' if none answers)
sub primary {
    my ($s) = @_;
    for my $x (@$s) {
        my ($host, $port) = split /\n/,
            cli($x->{port}, 'SENTINEL', 'get-master-addr-by-name', $MASTER);
        return $port if $port;
    }
    return '';
}

# do all sentinels see the replica on $port up and linked to its primary
# (so that they could promote it)?
sub replica_ok {
    my ($s, $port) = @_;
    for my $x (@$s) {
        my @kv = split /\n/, cli($x->{port}, 'SENTINEL', 'replicas', $MASTER);
        my (%r, $found);
        while (my ($k, $v) = splice @kv, 0, 2) {
            if ($k eq 'name') {
                $found = 1 if %r && ok_replica(\%r, $port);
                %r = ();
            }
            $r{$k} = $v // '';
        }
        $found = 1 if %r && ok_replica(\%r, $port);
        return 0 unless $found;
    }
    return 1;
}

sub ok_replica {
    my ($r, $port) = @_;
    return ($r->{name} // '') eq "127.0.0.1:$port"
        && ($r->{flags} // '') eq 'slave'
        && ($r->{'master-link-status'} // '') eq 'ok';
}

sub slurp {
    my ($f) = @_;
    open my $in, '<', $f or return '';
    local $/;
    return <$in>;
}

# the times (epoch seconds) of the +switch-master lines in the sentinels'
# logs, the first sentinel to log each failover
sub switch_times {
    my ($s) = @_;
    my %t;
    for my $x (@$s) {
        open my $fh, '<', $x->{log} or next;
        while (<$fh>) {
            next unless /^\d+:X (\d+ \w+ \d+ [\d:.]+) # \+switch-master \S+ \S+ (\d+) \S+ (\d+)/;
            my ($when, $from, $to) = ($1, $2, $3);
            my $e = `date -d '$when' +%s.%N`;
            chomp $e;
            my $k = "$from>$to";
            $t{$k} = $e if !defined $t{$k} || $e < $t{$k};
        }
    }
    return \%t;
}

# A TCP proxy for a replica's link to its primary: hold() stops passing
# the primary's stream on (it piles up in the kernel and in the primary),
# as a slow or cut link would; the replica's acknowledgements still pass.
sub proxy {
    my ($upstream) = @_;
    my $srv = IO::Socket::INET->new(Listen => 4, LocalAddr => '127.0.0.1',
                                    LocalPort => 0, Proto => 'tcp',
                                    ReuseAddr => 1) or die $!;
    my $port = $srv->sockport;
    my $pid = fork // die "fork: $!";
    if ($pid == 0) {
        POSIX::setsid();
        my $hold = 0;
        local $SIG{USR1} = sub { $hold = 1 };
        my ($c, $u);
        my $sel = IO::Select->new($srv);
        while (1) {
            my @ready = $sel->can_read(0.05);
            for my $h (@ready) {
                if ($h == $srv) {
                    my $n = $srv->accept or next;
                    if ($c) { $sel->remove($c, $u); close $c; close $u }
                    $u = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$upstream",
                                               Proto => 'tcp');
                    unless ($u) { close $n; $c = undef; next }
                    # the acknowledgements are small: no Nagle delay
                    setsockopt($_, IPPROTO_TCP, TCP_NODELAY, 1) for $n, $u;
                    $c = $n;
                    $sel->add($c, $u);
                    next;
                }
                next if $hold && $u && $h == $u;
                my $r = sysread $h, my $buf, 65536;
                my $to = ($c && $h == $c) ? $u : $c;
                if (!$r || !$to) {
                    $sel->remove($c, $u);
                    close $c; close $u;
                    ($c, $u) = (undef, undef);
                    next;
                }
                my $off = 0;
                while ($off < length $buf) {
                    my $w = syswrite $to, $buf, length($buf) - $off, $off;
                    last unless defined $w;
                    $off += $w;
                }
            }
            # held: the stream stays unread, the replica waits for it
            if ($hold && $u) { $sel->remove($u) if $sel->exists($u) }
        }
    }
    close $srv;
    push @children, $pid;
    return { port => $port, pid => $pid };
}

sub hold { kill 'USR1', $_[0]{pid} }

sub kill_proxy {
    my ($p) = @_;
    kill 'KILL', $p->{pid};
    waitpid $p->{pid}, 0;
}

# An nginx node with the module whose bedrud_redis names the sentinels
# (or one Redis).  %o: name, sentinels, params (more of bedrud_redis's),
# redis (a port instead), extra (more http{} directives), timeout
# (bedrud_redis_timeout), workers, unhealthy (do not wait for health).
sub nginx {
    my (%o) = @_;
    my $name = $o{name} // 'nginx';
    my $prefix = "$dir/$name";
    mkdir $prefix;
    mkdir "$prefix/$_" for qw(logs conf);
    my $port = free_port();
    my @modules = split ' ', ($ENV{TEST_NGINX_LOAD_MODULES}
                              || "$top/build/ngx_bedrud_module.so");
    my $load = join "\n", map { "load_module $_;" } @modules;
    my $conf = http_config(extra => $o{extra} // '',
                           redis_port => $o{redis} // 1);
    if ($o{sentinels}) {
        my $sentinels = join ' ', map { "127.0.0.1:$_->{port}" }
                                  @{ $o{sentinels} };
        my $params = $o{params} ? " $o{params}" : '';
        $conf =~ s/bedrud_redis 127\.0\.0\.1:\d+[^;]*;/bedrud_redis sentinel:$MASTER $sentinels$params;/
            or die 'no bedrud_redis line';
    }
    $conf =~ s/bedrud_redis_timeout \S+;/bedrud_redis_timeout $o{timeout};/
        if $o{timeout};
    my $user = $> == 0 ? 'user root;' : '';
    my $workers = $o{workers} // 1;
    open my $fh, '>', "$prefix/conf/nginx.conf" or die $!;
    print $fh <<"CONF";
$load
$user
worker_processes $workers;
daemon on;
master_process on;
pid $prefix/logs/nginx.pid;
error_log $prefix/logs/error.log info;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $prefix/body;
$conf
    server {
        listen 127.0.0.1:$port;
        location /api/ { bedrud_api; }
    }
}
CONF
    close $fh;
    my $nginx = $ENV{TEST_NGINX_BINARY} || '/usr/sbin/nginx';
    my @args = ('-p', "$prefix/", '-c', "$prefix/conf/nginx.conf",
                '-e', "$prefix/logs/error.log");
    system($nginx, '-t', '-q', @args) == 0
        or BAIL_OUT("nginx -t failed for $name: "
                    . `tail -3 $prefix/logs/error.log`);
    system($nginx, @args) == 0 or BAIL_OUT("cannot start nginx $name");
    my $pid;
    if (open my $p, '<', "$prefix/logs/nginx.pid") {
        ($pid) = <$p> =~ /(\d+)/;
        push @nginx_pids, $pid;
    }
    my %n = (name => $name, port => $port, log => "$prefix/logs/error.log",
             pid => $pid);
    return \%n if $o{unhealthy};
    wait_for(10, sub { (http(\%n, 'GET', '/api/health'))[0] == 200 })
        or BAIL_OUT("nginx $name did not become healthy: "
                    . `tail -5 $prefix/logs/error.log`);
    return \%n;
}

sub stop_nginx {
    my ($n) = @_;
    return unless $n->{pid};
    kill 'QUIT', $n->{pid};
    wait_for(10, sub { !kill 0, $n->{pid} });
    @nginx_pids = grep { $_ != $n->{pid} } @nginx_pids;
}

# One HTTP/1.0 request with a deadline: (status, body, seconds); status 0
# when no answer came within $timeout seconds (default 5).
sub http {
    my ($n, $method, $path, $body, $token, $timeout) = @_;
    $timeout //= 5;
    my $t0 = time;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                  PeerPort => $n->{port}, Proto => 'tcp',
                                  Timeout => $timeout)
        or return (0, "connect: $!", time - $t0);
    my $h = "$method $path HTTP/1.0\r\nHost: localhost\r\n";
    $h .= "Authorization: Bearer $token\r\n" if $token;
    if (defined $body) {
        $h .= "Content-Type: application/json\r\n"
            . 'Content-Length: ' . length($body) . "\r\n";
    }
    syswrite $s, $h . "\r\n" . ($body // '');
    my $sel = IO::Select->new($s);
    my $resp = '';
    while (1) {
        my $left = $timeout - (time - $t0);
        last if $left <= 0 || !$sel->can_read($left);
        my $r = sysread $s, my $buf, 65536;
        last unless $r;
        $resp .= $buf;
    }
    my ($st) = $resp =~ m{^HTTP/1\.[01] (\d{3})};
    my (undef, $b) = split /\r\n\r\n/, $resp, 2;
    return ($st // 0, $b // '', time - $t0);
}

# The load: $o{clients} clients on each node of $o{nodes}, each creating
# a room (a name of its own) and joining it, again and again, until
# load_stop().  Each request: node, op (create or join), status, t0, t1
# (epoch seconds), name, id; load_results() reads them so far.
sub load {
    my (%o) = @_;
    my $tag = $o{tag} // 'r';
    my %l = (stop => "$dir/stop-$tag", files => [], pids => []);
    unlink $l{stop};
    for my $n (@{ $o{nodes} }) {
        for my $c (1 .. $o{clients}) {
            my $file = "$dir/load-$tag-$n->{name}-$c";
            push @{ $l{files} }, $file;
            my $pid = fork // die "fork: $!";
            if ($pid == 0) {
                srand($$ ^ int(time * 1000));
                my $token = mint(uid => uuid(), exp => int(time) + 3600);
                open my $out, '>', $file or POSIX::_exit(1);
                $out->autoflush(1);
                my $i = 0;
                until (-e $l{stop}) {
                    my $name = sprintf '%s-%s-%d-%d-%d', $tag, $n->{name},
                        $c, $$, ++$i;
                    my $t0 = time;
                    my ($st, $b) = http($n, 'POST', '/api/room/create',
                                        qq({"name":"$name"}), $token);
                    my $id = ($st == 200 && $b =~ /"id":"([0-9a-f-]{36})"/)
                             ? $1 : '-';
                    printf $out "%s create %d %.4f %.4f %s %s\n", $n->{name},
                        $st, $t0, time, $name, $id;
                    if ($st == 200) {
                        $t0 = time;
                        ($st) = http($n, 'POST', '/api/room/join',
                                     qq({"roomName":"$name"}), $token);
                        printf $out "%s join %d %.4f %.4f %s %s\n",
                            $n->{name}, $st, $t0, time, $name, $id;
                    }
                    # a client that was refused does not hammer
                    sleep 0.02 if $st != 200;
                }
                close $out;
                POSIX::_exit(0);
            }
            push @{ $l{pids} }, $pid;
        }
    }
    return \%l;
}

sub load_results {
    my ($l) = @_;
    my @r;
    for my $f (@{ $l->{files} }) {
        open my $in, '<', $f or next;
        while (<$in>) {
            next unless /\n\z/;
            my @f = split ' ';
            push @r, { node => $f[0], op => $f[1], status => $f[2],
                       t0 => $f[3], t1 => $f[4], name => $f[5],
                       id => $f[6] };
        }
    }
    return @r;
}

sub load_stop {
    my ($l) = @_;
    open my $fh, '>', $l->{stop} or die $!;
    close $fh;
    waitpid $_, 0 for @{ $l->{pids} };
    return load_results($l);
}

1;
