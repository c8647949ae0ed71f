# The shipped configuration on loopback, for the production tests: nginx
# from conf/bedrud.conf with a site of conf/ (bedrud-https.conf behind the
# TLS router of bedrud-stream.conf, or bedrud-http.conf), LiveKit from
# conf/livekit-production.yaml with its TURN server, all rendered by
# tools/render-conf like `make run` does, on free ports.  Everything a
# call starts is stopped when the test file ends.
#
#   my $tls = Prod::tls();                     # local CA + server certificate
#   my $lk = Prod::livekit(webhook => $url, %o);  # a LiveKit node
#   my $n = Prod::nginx(site => 'https', livekit => $lk->{port}, %o);
#   my $lb = Prod::balancer(nodes => [$n1->{http}, $n2->{http}]);

package Prod;

use strict;
use warnings;

use BedrudTest;
use E2E ();
use LiveKitMock qw(lk_secret);
use Test::More;
use File::Temp qw(tempdir);
use IO::Socket::INET;
use POSIX ();
use Time::HiRes qw(sleep time);

my $top = $ENV{TEST_NGINX_TOP};
my $parent = $$;
my (@nginx_pids, @lk_pids);
my $dir = tempdir('bedrud-prod-XXXXXX', TMPDIR => 1, CLEANUP => 1);
chmod 0755, $dir;          # nginx's workers (nobody) reach web/dist and tmp/

# a test killed by the runner's timeout still stops what it started
# (they run in sessions of their own, out of reach of its kill)
$SIG{TERM} = $SIG{INT} = sub { exit 1 };

END {
    local $?;
    return unless $$ == $parent;
    kill 'QUIT', @nginx_pids if @nginx_pids;
    kill 'TERM', @lk_pids if @lk_pids;
    my $deadline = time + 10;
    for my $pid (@nginx_pids, @lk_pids) {
        sleep 0.05 while kill(0, $pid) && time < $deadline
                         && waitpid($pid, POSIX::WNOHANG()) == 0;
        kill 'KILL', $pid if kill 0, $pid;
    }
}

sub dir { $dir }

sub run_ok {
    my (@cmd) = @_;
    system(@cmd) == 0 or BAIL_OUT("failed: @cmd");
}

sub render {
    my ($template, $out, %v) = @_;
    run_ok("$top/tools/render-conf", "$top/conf/$template", $out,
           map { "$_=$v{$_}" } sort keys %v);
}

# a UDP port nothing is bound to (below the ephemeral range, as TCP's)
sub free_udp_port { return free_port() }

# $n consecutive UDP ports nothing is bound to
sub udp_range {
    my ($n) = @_;
    my $base = free_range($n);
    return ($base, $base + $n - 1);
}

# the local CA and a certificate for localhost, turn.localhost, 127.0.0.1
my $tls;
sub tls {
    return $tls if $tls;
    run_ok("$top/tools/local-tls", "$dir/tls");
    return $tls = { dir => "$dir/tls", ca => "$dir/tls/ca.pem",
                    cert => "$dir/tls/server.pem",
                    key => "$dir/tls/server.key" };
}

# the secrets of t/data, where the sites and LiveKit look for them
my $secrets;
sub secrets {
    return $secrets if $secrets;
    $secrets = "$dir/secrets";
    mkdir $secrets, 0700;
    for my $f (qw(jwt.secret livekit.secret)) {
        run_ok('cp', "$top/t/data/$f", "$secrets/$f");
    }
    open my $fh, '>', "$secrets/livekit-keys.yaml" or die $!;
    print $fh 'testkey: ' . lk_secret() . "\n";
    close $fh;
    chmod 0600, "$secrets/livekit-keys.yaml";
    return $secrets;
}

sub wait_for {
    my ($secs, $ok) = @_;
    return E2E::wait_for('', $secs, $ok);
}

# curl's HTTP status for a URL ("000": no answer); @opt more curl options
sub status {
    my ($url, @opt) = @_;
    my $ca = $tls ? $tls->{ca} : '/dev/null';
    my $st = `curl -s -o /dev/null -w '%{http_code}' --max-time 2 --cacert '$ca' @opt '$url'`;
    return $st;
}

# A LiveKit node from conf/livekit-production.yaml.  %o: name, webhook
# (URL), extra (YAML appended at the end: redis, region, ...).
sub livekit {
    my (%o) = @_;
    my $name = $o{name} // 'livekit';
    my $t = tls();
    my $s = secrets();
    my %lk = (port => free_port(), tcp => free_port(),
              turn_tls => free_port(), turn_udp => free_udp_port(),
              name => $name, log => "$dir/$name.log");
    @lk{qw(udp_start udp_end)} = udp_range(20);
    @lk{qw(relay_start relay_end)} = udp_range(20);
    my $conf = "$dir/$name.yaml";
    render('livekit-production.yaml', $conf,
        LIVEKIT_BIND => '127.0.0.1', LIVEKIT_PORT => $lk{port},
        KEY_FILE => "$s/livekit-keys.yaml", LIVEKIT_KEY => 'testkey',
        WEBHOOK_URL => $o{webhook}, NODE_IP => '127.0.0.1',
        RTC_IPS => '"127.0.0.1/32"', LOOPBACK => 'true',
        RTC_TCP_PORT => $lk{tcp}, RTC_UDP_START => $lk{udp_start},
        RTC_UDP_END => $lk{udp_end}, TURN_DOMAIN => 'turn.localhost',
        TURN_CERT => $t->{cert}, TURN_KEY => $t->{key},
        TURN_TLS_PORT => $lk{turn_tls}, TURN_UDP_PORT => $lk{turn_udp},
        TURN_BIND => '127.0.0.1', TURN_RELAY_START => $lk{relay_start},
        TURN_RELAY_END => $lk{relay_end},
        TURN_ALLOW_PEERS => '"127.0.0.1/32"');
    if ($o{extra}) {
        open my $fh, '>>', $conf or die $!;
        print $fh $o{extra};
        close $fh;
    }

    my $pid = fork // die "fork: $!";
    if ($pid == 0) {
        POSIX::setsid();
        open STDIN, '<', '/dev/null';
        open STDOUT, '>', $lk{log};
        open STDERR, '>&', \*STDOUT;
        delete @ENV{qw(LIVEKIT_KEYS LIVEKIT_CONFIG REDIS_HOST LIVEKIT_REGION)};
        # its webhooks may go to our HTTPS server
        $ENV{SSL_CERT_FILE} = $t->{ca};
        exec "$top/var/bin/livekit-server", '--config', $conf
            or POSIX::_exit(127);
    }
    push @lk_pids, $pid;
    $lk{pid} = $pid;
    wait_for(20, sub {
        BAIL_OUT("livekit-server $name exited: " . `tail -5 $lk{log}`)
            if waitpid($pid, POSIX::WNOHANG()) == $pid;
        status("http://127.0.0.1:$lk{port}/") eq '200';
    }) or BAIL_OUT("livekit-server $name did not start");
    ($lk{node}) = slurp($lk{log}) =~ /"nodeID": "(ND_\w+)"/;
    return \%lk;
}

# An nginx node: conf/bedrud.conf with a site.  %o: name, site ('https'
# behind the TLS router, or 'http'), livekit (the LiveKit node's HTTP
# port), redis_port, turn_tls (LiveKit's TURN/TLS port, https),
# router (its port, if chosen before).
# Returns its ports and url.
sub nginx {
    my (%o) = @_;
    my $name = $o{name} // 'nginx';
    my $s = secrets();
    my $prefix = "$dir/$name";
    mkdir $prefix;
    mkdir "$prefix/$_" for qw(logs tmp main.d uploads);
    my $redis = $o{redis_port} // $ENV{TEST_NGINX_REDIS_PORT};
    my @modules = split ' ', ($ENV{TEST_NGINX_LOAD_MODULES}
                              || "$top/build/ngx_bedrud_module.so");
    my %n = (name => $name, prefix => $prefix, http => free_port());
    my $site = "$prefix/site.conf";

    if (($o{site} // 'https') eq 'https') {
        my $t = tls();
        @n{qw(router https hop)} = ($o{router} // free_port(), free_port(),
                                    free_port());
        render('bedrud-https.conf', $site,
            SERVER_NAME => '127.0.0.1', HTTP_LISTEN => "127.0.0.1:$n{http}",
            HTTPS_LISTEN => "127.0.0.1:$n{https} ssl http2 proxy_protocol",
            HTTPS_PORT_SUFFIX => ":$n{router}", REAL_IP_FROM => '127.0.0.1',
            CERT => $t->{cert}, CERT_KEY => $t->{key},
            ACME_ROOT => "$prefix/acme", SECRETS => $s,
            REDIS => "127.0.0.1:$redis", REDIS_FUNCTIONS => "$top/redis",
            LIVEKIT => "127.0.0.1:$o{livekit}", LIVEKIT_KEY => 'testkey',
            WEB_ROOT => "$top/web/dist",
            SERVER_CONF => "$top/conf/bedrud-server.conf",
            UPLOADS => "$prefix/uploads");
        render('bedrud-stream.conf', "$prefix/stream.conf",
            ROUTER_LISTEN => "127.0.0.1:$n{router}",
            TURN_DOMAIN => 'turn.localhost', TURN_HOP => "127.0.0.1:$n{hop}",
            TURN_TLS => "127.0.0.1:$o{turn_tls}",
            HTTPS => "127.0.0.1:$n{https}");
        open my $fh, '>', "$prefix/main.d/stream.conf" or die $!;
        print $fh "load_module /usr/lib/nginx/modules/ngx_stream_module.so;\n"
            . "include $prefix/stream.conf;\n";
        close $fh;
        $n{url} = "https://127.0.0.1:$n{router}";
    } else {
        mkdir "$prefix/secrets";
        run_ok('cp', "$s/jwt.secret", "$s/livekit.secret", "$prefix/secrets/");
        render('bedrud-http.conf', $site,
            TOP => $top, VAR => $prefix, PORT => $n{http},
            REDIS_PORT => $redis, LIVEKIT_KEY => 'testkey',
            LIVEKIT_PORT => $o{livekit},
            SERVER_CONF => "$top/conf/bedrud-server.conf");
        $n{url} = "http://127.0.0.1:$n{http}";
    }
    render('bedrud.conf', "$prefix/nginx.conf", MODULE => $modules[0],
           PREFIX => $prefix, SITE => $site);

    my $nginx = $ENV{TEST_NGINX_BINARY} || '/usr/sbin/nginx';
    my @args = ('-p', "$prefix/", '-c', "$prefix/nginx.conf",
                '-e', "$prefix/logs/error.log");
    system($nginx, '-t', '-q', @args) == 0
        or BAIL_OUT("nginx -t failed for $name: " . `tail -5 $prefix/logs/error.log`);
    system($nginx, @args) == 0 or BAIL_OUT("cannot start nginx $name");
    wait_for(10, sub { status("$n{url}/api/health") eq '200' })
        or BAIL_OUT("nginx $name did not become healthy: "
                    . `tail -5 $prefix/logs/error.log`);
    if (open my $p, '<', "$prefix/nginx.pid") {
        ($n{pid}) = <$p> =~ /(\d+)/;
        push @nginx_pids, $n{pid};
    }
    return \%n;
}

# A load balancer in front of nginx nodes (stock nginx, no module), as
# an operator would put one: round robin over the nodes' HTTP ports
# (nodes), on port (default: a free one).  Returns its port and prefix.
sub balancer {
    my (%o) = @_;
    my $prefix = "$dir/" . ($o{name} // 'balancer');
    mkdir $prefix;
    mkdir "$prefix/$_" for qw(logs tmp);
    my $port = $o{port} // free_port();
    my $servers = join '', map { "        server 127.0.0.1:$_;\n" } @{ $o{nodes} };
    open my $fh, '>', "$prefix/nginx.conf" or die $!;
    print $fh <<"CONF";
worker_processes 1;
pid $prefix/nginx.pid;
error_log $prefix/logs/error.log info;
events { worker_connections 256; }
http {
    access_log $prefix/logs/access.log;
    client_body_temp_path $prefix/tmp/body;
    proxy_temp_path $prefix/tmp/proxy;
    fastcgi_temp_path $prefix/tmp/fastcgi;
    uwsgi_temp_path $prefix/tmp/uwsgi;
    scgi_temp_path $prefix/tmp/scgi;
    upstream bedrud_nodes {
$servers    }
    server {
        listen 127.0.0.1:$port;
        location / {
            proxy_pass http://bedrud_nodes;
            proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
            # a node that is down: the next one (LiveKit's webhooks are
            # deduplicated by event id, so a retried POST is safe)
            proxy_next_upstream error timeout non_idempotent;
        }
    }
}
CONF
    close $fh;
    my $nginx = $ENV{TEST_NGINX_BINARY} || '/usr/sbin/nginx';
    system($nginx, '-p', "$prefix/", '-c', "$prefix/nginx.conf",
           '-e', "$prefix/logs/error.log") == 0
        or BAIL_OUT('cannot start the load balancer');
    wait_for(10, sub { -s "$prefix/nginx.pid" })
        or BAIL_OUT('the load balancer did not start');
    if (open my $p, '<', "$prefix/nginx.pid") {
        my ($pid) = <$p> =~ /(\d+)/;
        push @nginx_pids, $pid;
    }
    return { port => $port, prefix => $prefix };
}

sub slurp {
    my ($f) = @_;
    open my $in, '<', $f or return '';
    local $/;
    return <$in>;
}

1;
