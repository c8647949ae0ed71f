package Test::Nginx::Util;

# Fallback for openresty's Test::Nginx::Util (see t/lib/Test/Nginx/Socket.pm
# for the overall picture).  This half holds the global settings, the
# $TEST_NGINX_* expansion, the generated nginx.conf and the nginx process
# management.  It is only used when the real Test::Nginx is not installed.
#
# Reference: /work/shared/reference/test-nginx-format.md, sections 2, 3, 6.

use strict;
use warnings;

use base 'Exporter';

use Carp qw(croak);
use File::Path qw(make_path remove_tree);
use File::Spec ();
use IO::Socket::INET ();
use POSIX qw(SIGQUIT SIGKILL SIGTERM WNOHANG);
use Time::HiRes qw(sleep);
use Test::More ();

our $VERSION = '0.33_fallback';

our @EXPORT = qw(
    env_to_nginx is_str check_accum_error_log is_running
    $NoLongString no_long_string
    $ServerAddr server_addr $ServerName server_name
    parse_time verbose sleep_time bail_out add_cleanup_handler
    access_log_data error_log_data setup_server_root write_user_files
    write_config_file expand_env_in_text get_canon_version
    get_nginx_version trim show_all_chars parse_headers
    get_pid_from_pidfile start_nginx stop_nginx kill_process cleanup
    $ServerPortForClient $ServerPort $NginxVersion $NginxRawVersion
    $OpenSSLVersion $PidFile $ServRoot $ConfFile $ErrLogFile $AccLogFile
    $HtmlDir $RepeatEach $NoShuffle $CheckAccumErrLog $ErrLogFilePos
    $LogLevel $TestNginxSleep $ForceRestartOnTest $NoNginxManager
    $Verbose $CheckLeak $Benchmark @BlockPreprocessors
    add_block_preprocessor timeout worker_connections workers master_on
    master_off config_preamble repeat_each master_process_enabled
    log_level no_shuffle no_root_location html_dir server_root
    server_port server_port_for_client no_nginx_manager use_hup
);

sub bail_out (@);

#---------------------------------------------------------------------------
# Settings (the same env vars and defaults as the real module)
#---------------------------------------------------------------------------

our $Verbose            = $ENV{TEST_NGINX_VERBOSE};
our $NoNginxManager     = $ENV{TEST_NGINX_NO_NGINX_MANAGER} || 0;
our $RepeatEach         = 1;
our $NoShuffle          = $ENV{TEST_NGINX_NO_SHUFFLE} || 0;
our $Timeout            = $ENV{TEST_NGINX_TIMEOUT} || 3;
our $CheckAccumErrLog   = $ENV{TEST_NGINX_CHECK_ACCUM_ERR_LOG};
our $LoadModules        = $ENV{TEST_NGINX_LOAD_MODULES};
our $Randomize          = $ENV{TEST_NGINX_RANDOMIZE};
our $Workers            = 1;
our $WorkerConnections  = 64;
our $LogLevel           = $ENV{TEST_NGINX_LOG_LEVEL} || 'debug';
our $MasterProcessEnabled = $ENV{TEST_NGINX_MASTER_PROCESS} || 'off';
our $DaemonEnabled      = 'on';
our $NoRootLocation     = 0;
our $TestNginxSleep     = $ENV{TEST_NGINX_SLEEP} || 0.015;
our $ServerAddr         = '127.0.0.1';
our $ServerName         = 'localhost';
our $NoLongString;
our $ConfigPreamble     = '';
our @EnvToNginx;
our @BlockPreprocessors;
our @CleanupHandlers;
our $ErrLogFilePos      = 0;
our ($NginxVersion, $NginxRawVersion, $OpenSSLVersion, $NginxBuildFlags);

# Kept for source compatibility; the fallback never enables these modes.
our $CheckLeak = 0;
our $Benchmark = 0;

# By default nginx is restarted for every block.  With 0, the running nginx
# is kept when the block's (expanded) --- config is unchanged.  Quirk kept
# from the real module: only `config` is compared, not http_config etc.
our $ForceRestartOnTest = defined $ENV{TEST_NGINX_FORCE_RESTART_ON_TEST}
                        ? $ENV{TEST_NGINX_FORCE_RESTART_ON_TEST} : 1;

our $WorkerUser = $ENV{TEST_NGINX_WORKER_USER};
if (defined $WorkerUser && $WorkerUser !~ /^\w+(?:\s+\w+)?$/) {
    die "Bad value in the env TEST_NGINX_WORKER_USER: $WorkerUser\n";
}

our $NginxBinary = $ENV{TEST_NGINX_BINARY} || default_nginx_binary();

our $ServerPort = $ENV{TEST_NGINX_SERVER_PORT} || $ENV{TEST_NGINX_PORT}
                  || 1984;
our $ServerPortForClient = $ENV{TEST_NGINX_CLIENT_PORT} || $ServerPort;

srand $$;

if ($Randomize) {
    $ServerPort = gen_rand_port(1000);
    if (!defined $ServerPort) {
        bail_out("Cannot find an available listening port number "
                 . "after 1000 attempts.\n");
    }
    $ServerPortForClient = $ServerPort;
}

our $ServRoot = $Randomize
    ? File::Spec->rel2abs("t/servroot_$ServerPort")
    : ($ENV{TEST_NGINX_SERVROOT} || File::Spec->rel2abs('t/servroot'));
$ServRoot =~ s{/+$}{};
$ENV{TEST_NGINX_SERVER_ROOT} = $ServRoot;

our $LogDir     = "$ServRoot/logs";
our $ErrLogFile = "$LogDir/error.log";
our $AccLogFile = "$LogDir/access.log";
our $HtmlDir    = "$ServRoot/html";
our $ConfDir    = "$ServRoot/conf";
our $ConfFile   = "$ConfDir/nginx.conf";
our $PidFile    = "$LogDir/nginx.pid";

# Set while nginx is known to have been started by this process.
our $NginxStarted;

#---------------------------------------------------------------------------
# Exported setters/getters (prototypes as in the real module, so that
# `plan tests => repeat_each() * 2 * blocks();` parses the same way)
#---------------------------------------------------------------------------

sub repeat_each (@) {
    $RepeatEach = shift if @_;
    return $RepeatEach;
}

sub no_shuffle ()             { $NoShuffle = 1 }
sub no_long_string ()         { $NoLongString = 1 }
sub no_root_location ()       { $NoRootLocation = 1 }
sub check_accum_error_log ()  { $CheckAccumErrLog = 1 }
sub no_nginx_manager ()       { $NoNginxManager = 1 }
sub master_on ()              { $MasterProcessEnabled = 'on' }
sub master_off ()             { $MasterProcessEnabled = 'off' }
sub config_preamble ($)       { $ConfigPreamble = shift }
sub html_dir ()               { $HtmlDir }
sub server_root ()            { $ServRoot }
sub sleep_time                { $TestNginxSleep }
sub verbose                   { $Verbose }

# HUP reloading is not implemented: nginx is simply restarted instead, which
# gives the same results for ordinary suites.
sub use_hup () { }

sub master_process_enabled (@) {
    return $MasterProcessEnabled unless @_;
    $MasterProcessEnabled = shift() ? 'on' : 'off';
}

sub workers (@) {
    return $Workers unless @_;
    $Workers = shift;
}

sub worker_connections (@) {
    return $WorkerConnections unless @_;
    $WorkerConnections = shift;
}

sub log_level (@) {
    return $LogLevel unless @_;
    $LogLevel = shift;
}

sub timeout (@) {
    return $Timeout unless @_;
    $Timeout = shift;
}

sub server_port (@) {
    return $ServerPort unless @_;
    $ServerPort = shift;
}

sub server_port_for_client (@) {
    return $ServerPortForClient unless @_;
    $ServerPortForClient = shift;
}

sub server_addr (@) {
    return $ServerAddr unless @_;
    $ServerAddr = shift;
}

sub server_name (@) {
    return $ServerName unless @_;
    $ServerName = shift;
}

sub env_to_nginx (@) {
    croak "env_to_nginx: no arguments specified" unless @_;
    for my $v (@_) {
        if ($v !~ /^[A-Za-z_]/ || $v =~ /\n/) {
            croak "env_to_nginx: bad argument value: $v\n";
        }
        push @EnvToNginx, $v;
    }
}

# Like the real module, the most recently added preprocessor runs first.
sub add_block_preprocessor (&) {
    unshift @BlockPreprocessors, shift;
}

sub add_cleanup_handler ($) {
    unshift @CleanupHandlers, shift;
}

sub is_str (@) {
    my ($got, $expected, $desc) = @_;
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    if (ref $expected && ref $expected eq 'Regexp') {
        return Test::More::like($got, $expected, $desc);
    }
    if ($NoLongString) {
        return Test::More::is($got, $expected, $desc);
    }
    require Test::LongString;
    return Test::LongString::is_string($got, $expected, $desc);
}

#---------------------------------------------------------------------------
# Small helpers
#---------------------------------------------------------------------------

sub bail_out (@) {
    cleanup();
    Test::More::BAIL_OUT(@_);
}

# "1.5" -> 1.5, "50ms" -> 0.05, "2s" -> 2
sub parse_time ($) {
    my $tm = shift;
    return undef unless defined $tm;
    if ($tm =~ s/([^_a-zA-Z])ms$/$1/) {
        $tm = $tm / 1000;
    } else {
        $tm =~ s/([^_a-zA-Z])s$/$1/;
    }
    return $tm;
}

sub trim ($) {
    my $s = shift;
    return undef unless defined $s;
    $s =~ s/^\s+|\s+$//g;
    $s =~ s/\n/ /gs;
    $s =~ s/\s{2,}/ /gs;
    return $s;
}

sub show_all_chars ($) {
    my $s = shift;
    $s =~ s/\n/\\n/gs;
    $s =~ s/\r/\\r/gs;
    $s =~ s/\t/\\t/gs;
    return $s;
}

# Parses a --- response_headers(_like) value.  Returns a list of
# [name, value] pairs in file order; value is undef for "!Name" lines.
# The real module collects them in a hash, so a repeated name counts once
# (the last line wins); we keep that, but iterate in a stable order.
sub parse_headers ($) {
    my $s = shift;
    my (@order, %seen);
    for my $line (split /\n/, $s // '') {
        $line =~ s/^\s+|\s+$//g;
        next if $line eq '';
        my ($key, $val);
        if ($line =~ s/^!\s*//) {
            $key = $line;
        } else {
            ($key, $val) = split /\s*:\s*/, $line, 2;
            $val //= '';
        }
        push @order, $key unless exists $seen{$key};
        $seen{$key} = $val;
    }
    return map { [$_, $seen{$_}] } @order;
}

sub get_canon_version (@) {
    sprintf "%d.%03d%03d", $_[0], $_[1], $_[2];
}

sub default_nginx_binary {
    for my $dir (split /:/, $ENV{PATH} // '') {
        next if $dir eq '';
        return 'nginx' if -f "$dir/nginx" && -x _;
    }
    for my $path ('/usr/sbin/nginx', '/usr/local/nginx/sbin/nginx',
                  '/usr/local/openresty/nginx/sbin/nginx')
    {
        return $path if -f $path && -x _;
    }
    return 'nginx';
}

sub gen_rand_port {
    my ($tries, $used) = @_;
    $tries //= 1000;
    $used //= {};
    for (1 .. $tries) {
        my $port = int(rand 63550) + 1985;
        next if $used->{$port};
        my $sock = IO::Socket::INET->new(
            LocalAddr => $ServerAddr,
            LocalPort => $port,
            Proto     => 'tcp',
            Timeout   => 0.1,
        );
        if ($sock) {
            $sock->close;
            return $port;
        }
    }
    return undef;
}

# Replaces every $TEST_NGINX_FOO from %ENV; bails out when FOO is not set.
# $TEST_NGINX_RAND_PORT_<n> gets a free port, fixed for the whole block
# (the caller passes the same $rand_ports hash for all sections of a block).
sub expand_env_in_text ($$$) {
    my ($text, $name, $rand_ports) = @_;
    return undef unless defined $text;
    $rand_ports //= {};

    $text =~ s{\$(TEST_NGINX_[_A-Z0-9]+)}{
        my $var = $1;
        my $val;
        if ($var =~ /^TEST_NGINX_RAND_PORT_[0-9]+$/) {
            if (!defined $rand_ports->{$var}) {
                my %used = ($ServerPort => 1,
                            map { $_ => 1 } values %$rand_ports);
                my $port = gen_rand_port(1000, \%used);
                defined $port or bail_out("$name - Cannot find an available "
                                          . "listening port number for $var.\n");
                $rand_ports->{$var} = $port;
            }
            $val = $rand_ports->{$var};
        } else {
            defined $ENV{$var}
                or bail_out("$name - No environment $var defined.\n");
            $val = $ENV{$var};
        }
        $val;
    }ge;

    return $text;
}

#---------------------------------------------------------------------------
# nginx -V
#---------------------------------------------------------------------------

sub get_nginx_version () {
    my $out = `$NginxBinary -V 2>&1`;
    if (!defined $out || $? != 0) {
        $out //= '';
        bail_out("Failed to get the version of the Nginx in PATH: $out");
    }
    $NginxBuildFlags = $out;

    if ($out =~ m{built with OpenSSL (\d+)\.(\d+)\.(\d+)([a-z])?}s) {
        $OpenSSLVersion = defined $4
            ? sprintf("%d.%03d%03d%03d", $1, $2, $3, ord($4) - ord('a'))
            : get_canon_version($1, $2, $3);
    }

    if ($out =~ m{(?:nginx|openresty)[^/]*/(\d+)\.(\d+)\.(\d+)}s
        || $out =~ m{\w+/(\d+)\.(\d+)\.(\d+)}s)
    {
        $NginxRawVersion = "$1.$2.$3";
        return $NginxVersion = get_canon_version($1, $2, $3);
    }

    bail_out("Failed to parse the output of \"nginx -V\": $out\n");
}

#---------------------------------------------------------------------------
# Server root and nginx.conf
#---------------------------------------------------------------------------

sub setup_server_root () {
    # Only remove what the harness itself creates, so that a mis-pointed
    # TEST_NGINX_SERVROOT cannot wipe real data.
    if (-d $ServRoot) {
        remove_tree($ConfDir, $HtmlDir, $LogDir,
                    glob("$ServRoot/*_cache"), glob("$ServRoot/*_temp"));
    }

    # Plain mkdir, as in the real module: running prove from a directory
    # without t/ fails here ("Failed to do mkdir .../t/servroot").
    for my $dir ($ServRoot, $LogDir, $HtmlDir, $ConfDir) {
        next if -d $dir;
        mkdir $dir or bail_out("Failed to do mkdir $dir\n");
    }

    my $index = "$HtmlDir/index.html";
    open my $out, '>', $index
        or bail_out("Can't open $index for writing: $!\n");
    print $out '<html><head><title>It works!</title></head>'
               . '<body>It works!</body></html>';
    close $out;
}

# --- user_files: ">>> name [touch-date]" followed by the file content.
# Relative names go under html/; the content is $TEST_NGINX_* expanded.
sub write_user_files ($$) {
    my ($block, $rand_ports) = @_;
    my $name = $block->name;
    my $files = $block->user_files;
    return unless $files;

    if (!ref $files) {
        my @list;
        my ($fname, $body, $date);
        for my $line (split /^/, $files) {
            if ($line =~ /^>>> (\S+)(?:\s+(.+))?/) {
                push @list, [$fname, $body, $date] if defined $fname;
                ($fname, $date, $body) = ($1, $2, undef);
            } else {
                $body .= $line;
            }
        }
        push @list, [$fname, $body, $date] if defined $fname;
        $files = \@list;
    } elsif (ref $files ne 'ARRAY') {
        bail_out("$name - wrong value type: " . ref($files)
                 . ", only scalar or ARRAY are accepted");
    }

    for my $file (@$files) {
        my ($fname, $body, $date) = @$file;
        my $path = $fname =~ m{^/} ? $fname : "$HtmlDir/$fname";
        if ($path =~ m{(.*)/}) {
            my $dir = $1;
            make_path($dir) unless -d $dir;
        }
        $body = expand_env_in_text($body // '', $name, $rand_ports);
        open my $out, '>', $path
            or bail_out("$name - Cannot open $path for writing: $!\n");
        binmode $out;
        print $out $body;
        close $out;
        if ($date) {
            system("TZ=GMT touch -t '$date' '$path'") == 0
                or bail_out("$name - Failed to touch $path\n");
        }
    }
}

sub has_http_module ($) {
    my $mod = shift;
    return 1 unless defined $NginxBuildFlags;
    return $NginxBuildFlags !~ /--without-http_${mod}_module\b/;
}

# Writes conf/nginx.conf in the layout of Test::Nginx 0.33 (see the spec,
# section 3).  $config is the already expanded --- config.
sub write_config_file ($$$) {
    my ($block, $config, $rand_ports) = @_;
    my $name = $block->name;

    my $http_config = expand_env_in_text($block->http_config, $name,
                                         $rand_ports) // '';
    my $main_config = expand_env_in_text($block->main_config, $name,
                                         $rand_ports) // '';
    my $post_main_config = expand_env_in_text($block->post_main_config,
                                              $name, $rand_ports) // '';
    $config //= '';

    my $log_level = $block->log_level || $LogLevel;
    my $server_name = $block->server_name // $ServerName;
    (my $quoted_server_name = $server_name) =~ s/(['\\])/\\$1/g;

    # TEST_NGINX_LOAD_MODULES: load_module lines go first, so that the
    # modules' directives can be used anywhere below.
    my $load_modules = '';
    if ($LoadModules) {
        $load_modules = join '', map { "load_module $_;\n" }
                                 grep { length } split /\s+/, $LoadModules;
    }

    my $env = '';
    for my $v (qw(MOCKEAGAIN_VERBOSE MOCKEAGAIN
                  MOCKEAGAIN_WRITE_TIMEOUT_PATTERN LD_PRELOAD
                  LD_LIBRARY_PATH DYLD_INSERT_LIBRARIES
                  DYLD_FORCE_FLAT_NAMESPACE))
    {
        $env .= "env $v;\n";
    }
    for my $v (@EnvToNginx) {
        my $quoted = $v =~ /\s/ ? "'$v'" : $v;
        $env .= "env $quoted;\n";
    }

    # Debian's nginx writes its temp files under /var/lib/nginx by default;
    # keep everything inside the server root instead.
    my $temp_paths = "    client_body_temp_path $ServRoot/client_body_temp;\n";
    for my $mod (qw(fastcgi proxy scgi uwsgi)) {
        next unless has_http_module($mod);
        $temp_paths .= "    ${mod}_temp_path $ServRoot/${mod}_temp;\n";
    }

    my $root_location = '';
    if (!$NoRootLocation) {
        $root_location = <<_EOC_;
        location / {
            root $HtmlDir;
            index index.html index.htm;
        }
_EOC_
    }

    my $user = '';
    if (defined $WorkerUser) {
        $user = "user $WorkerUser;\n";
    } elsif ($> == 0) {
        $user = "user root;\n";
    }

    open my $out, '>', $ConfFile
        or bail_out("Can't open $ConfFile for writing: $!\n");

    print $out <<_EOC_;
${load_modules}worker_processes  $Workers;
daemon $DaemonEnabled;
master_process $MasterProcessEnabled;
error_log $ErrLogFile $log_level;
pid       $PidFile;
$env
$main_config

http {
    access_log $AccLogFile;

$temp_paths
    default_type text/plain;
    keepalive_timeout  68000ms;

$http_config

    server {
        listen          $ServerPort;
        server_name     '$quoted_server_name';

        client_max_body_size 30M;

        # Begin preamble config...
$ConfigPreamble
        # End preamble config...

        # Begin test case config...
$config
        # End test case config.

$root_location    }
}

$post_main_config

events {
    accept_mutex off;

    worker_connections  $WorkerConnections;
}
env ASAN_OPTIONS;
env MOCKNOEAGAIN_VERBOSE;
env MOCKNOEAGAIN;
$user
_EOC_

    close $out;
}

#---------------------------------------------------------------------------
# nginx processes
#---------------------------------------------------------------------------

# kill(0) alone is not enough: nginx daemonizes, and when PID 1 of a
# container does not reap orphans the exited process stays a zombie.
sub is_running ($) {
    my $pid = shift;
    return 0 unless $pid && kill 0, $pid;
    if (open my $in, '<', "/proc/$pid/stat") {
        my $stat = <$in> // '';
        close $in;
        return 0 if $stat =~ /^\d+ \(.*\) Z/s;
    }
    return 1;
}

# A stale pid file (e.g. left by TEST_NGINX_NO_CLEAN) may name a pid that
# has since been reused; never signal a process that is not an nginx.
sub looks_like_nginx ($) {
    my $pid = shift;
    open my $in, '<', "/proc/$pid/cmdline" or return 1;   # no procfs
    my $cmd = do { local $/; <$in> } // '';
    close $in;
    return index($cmd, $ServRoot) >= 0 || $cmd =~ /nginx/;
}

sub read_pid_file () {
    open my $in, '<', $PidFile or return undef;
    my $pid = do { local $/; <$in> } // '';
    close $in;
    $pid =~ s/\s+//g;
    return $pid =~ /^\d+$/ ? $pid : undef;
}

sub get_pid_from_pidfile ($) {
    my $name = shift;
    -f $PidFile
        or bail_out("$name - Failed to open the pid file $PidFile "
                    . "for reading: $!");
    return read_pid_file() // '';
}

# QUIT, wait up to timeout(), then TERM a few times, then KILL.
sub kill_process ($$$) {
    my ($pid, $wait, $name) = @_;
    return unless $pid;

    if ($wait) {
        kill SIGQUIT, $pid;
        my $left = timeout();
        while ($left > 0 && is_running($pid)) {
            waitpid($pid, WNOHANG);
            sleep 0.05;
            $left -= 0.05;
        }
        if (is_running($pid)) {
            warn "$name - timeout when waiting for the process $pid to exit\n";
        }
    }

    my $step = $TestNginxSleep;
    for (1 .. 20) {
        return unless is_running($pid);
        kill SIGTERM, $pid;
        $step *= 1.2;
        $step = 0.5 if $step > 0.5;
        sleep $step;
    }

    warn "$name - WARNING: killing the process $pid with force...\n";
    kill SIGKILL, $pid;
    waitpid($pid, WNOHANG);
    sleep 0.05;
}

# Stops the nginx recorded in the pid file, if any.
sub stop_nginx ($) {
    my $name = shift;

    # nginx writes its pid file after daemonizing, so right after a start
    # the file may not exist yet.
    if ($NginxStarted && !-f $PidFile) {
        for (1 .. 100) {
            last if -f $PidFile;
            sleep 0.01;
        }
    }
    undef $NginxStarted;

    return unless -f $PidFile;
    my $pid = read_pid_file();
    if ($pid && is_running($pid) && looks_like_nginx($pid)) {
        kill_process($pid, 1, $name);
    }
    unlink $PidFile if -f $PidFile;
}

sub check_if_missing_directive () {
    open my $in, '<', $ErrLogFile or return undef;
    while (<$in>) {
        return $1 if /\[emerg\] \S+?: unknown directive "([^"]+)"/;
    }
    return undef;
}

sub tail_error_log ($) {
    my $n = shift;
    open my $in, '<', $ErrLogFile or return '';
    my @lines = <$in>;
    close $in;
    splice @lines, 0, @lines - $n if @lines > $n;
    return join '', @lines;
}

# Starts nginx as `BINARY -e logs/error.log -p SERVROOT/ -c conf/nginx.conf`.
# Returns undef on success, or a dry-run reason when the start failed on an
# unknown directive and TEST_NGINX_IGNORE_MISSING_DIRECTIVES is set.
#
# The real module retries every failure for ~30 s.  We do that only for a
# busy port (a previous nginx that is still shutting down); a broken
# config bails out after three attempts with the end of error.log.
sub start_nginx ($) {
    my $name = shift;

    my @cmd = ($NginxBinary);
    push @cmd, '-e', $ErrLogFile
        if !defined $NginxVersion || $NginxVersion >= 1.019005;
    push @cmd, '-p', "$ServRoot/", '-c', $ConfFile;

    my ($waited, $tries, $status) = (0, 0, 0);
    while (1) {
        my $pid = fork();
        bail_out("$name - fork() failed: $!") unless defined $pid;
        if ($pid == 0) {
            open STDOUT, '>', '/dev/null';
            { no warnings 'exec'; exec { $cmd[0] } @cmd; }
            POSIX::_exit(127);
        }
        waitpid($pid, 0);
        $status = $?;
        if ($status == 0) {
            # No pause: the listening sockets are open before nginx
            # daemonizes, so the first request may reach a worker that is
            # still starting (its Redis handshake on the way), as under
            # the standard runner, which does not wait for workers either.
            $NginxStarted = 1;
            return undef;
        }

        if ($ENV{TEST_NGINX_IGNORE_MISSING_DIRECTIVES}) {
            my $directive = check_if_missing_directive();
            return "the lack of directive $directive" if $directive;
        }

        $tries++;
        my $log = tail_error_log(50);
        my $transient = $log =~ /Address already in use|still could not bind/;
        last if !$transient && $tries >= 3;

        my $delay = 0.1 * $tries;
        $delay = 1 if $delay > 1;
        sleep $delay;
        $waited += $delay;
        last if $waited >= 30;
    }

    my $tail = tail_error_log(10);
    Test::More::diag("tail of $ErrLogFile:\n$tail") if $tail ne '';
    bail_out("$name - Cannot start nginx using command \"@cmd\" "
             . "(status code $status).");
}

#---------------------------------------------------------------------------
# Logs
#---------------------------------------------------------------------------

# Lines of error.log written since the previous call (for this block), or
# the whole file under check_accum_error_log().
sub error_log_data () {
    # give the log phase, which runs after the connection is closed, a chance
    sleep $TestNginxSleep * 3;

    open my $in, '<', $ErrLogFile or return [];
    if (!$CheckAccumErrLog && $ErrLogFilePos > 0) {
        seek $in, $ErrLogFilePos, 0;
    }
    my @lines = <$in>;
    $ErrLogFilePos = tell($in) unless $CheckAccumErrLog;
    close $in;
    return \@lines;
}

sub access_log_data () {
    sleep $TestNginxSleep * 3;
    open my $in, '<', $AccLogFile or return [];
    my @lines = <$in>;
    close $in;
    return \@lines;
}

#---------------------------------------------------------------------------
# Cleanup
#---------------------------------------------------------------------------

sub cleanup () {
    $_->() for @CleanupHandlers;
}

END {
    local $?;    # keep the exit code Test::Builder computed

    cleanup();

    if (!$ENV{TEST_NGINX_NO_CLEAN} && -f $PidFile) {
        my $pid = read_pid_file();
        if ($pid && is_running($pid) && looks_like_nginx($pid)) {
            kill_process($pid, 1, 'END');
        }
        unlink $PidFile;
    }

    if ($Randomize && !$ENV{TEST_NGINX_NO_CLEAN}
        && defined $ServRoot && $ServRoot =~ m{/t/servroot_\d+$}
        && -d $ServRoot)
    {
        remove_tree($ServRoot);
    }
}

1;
