# bedrud-bot against the real module and LiveKit when things go wrong
# (plain Test::More, no browser): each case's exit status and what it says.
#
#   0  a room without E2EE: the key in its link is not used
#   1  a bad link, a cut key, an E2EE room's link without its key, a file
#      that is not audio
#   2  no such room, a private room for a guest, a wrong password, a full
#      room, a ban
#   4  a server that does not answer
#   5  say with nobody to hear it (and 0 when Ctrl-C stops its wait)
#   6  removed from the room while in it (the owner bans the bot)
#
# and the good cases around them: an account from a credentials file, an
# access token from the environment. The link is given in BEDRUD_LINK: the
# running bot's command line (ps) does not show the key.
#
# BEDRUD_E2E=0 skips this file.

use strict;
use warnings;

use lib 't/inc';
use BedrudTest;
use E2E;
use Test::More;
use File::Temp qw(tempdir);
use POSIX ();
use Time::HiRes qw(sleep time);

my $top = $ENV{TEST_NGINX_TOP};
my $bot = "$top/tools/bedrud-bot/bedrud-bot";

plan skip_all => 'BEDRUD_E2E=0' if ($ENV{BEDRUD_E2E} // '1') eq '0';
E2E::need('var/bin/livekit-server', 'var/bedrud-bot/venv/bin/python');
BAIL_OUT('/usr/bin/ffmpeg is missing (make deps installs it)')
    unless -x '/usr/bin/ffmpeg';
plan skip_all => "no Redis on port $ENV{TEST_NGINX_REDIS_PORT}"
    unless redis_cli('PING') eq 'PONG';

my $e = E2E::start();
my $dir = tempdir('bedrud-bot-err-XXXXXX', TMPDIR => 1, CLEANUP => 1);
my $n = int(rand(1_000_000_000));
my $key = join '', map { ('A' .. 'Z', 'a' .. 'z', 0 .. 9, '-', '_')[rand 64] } 1 .. 42;
$key .= 'A';

sub api { E2E::api($e, @_) }

# the owner, and the rooms
my ($st, $r) = api(POST => '/api/auth/register',
    { email => "owner$n\@example.com", password => 'correct horse battery',
      name => 'Owner' });
is($st, 200, 'the owner registers');
my $owner = $r->{tokens}{accessToken};

my %room;
for ([open => { e2ee => 1, public => 1 }], [private => { e2ee => 1 }],
     [full => { e2ee => 1, public => 1, max => 1 }], [plain => { public => 1 }]) {
    my ($name, $o) = @$_;
    ($st, $r) = api(POST => '/api/room/create',
        { name => "$name-$n", isPublic => $o->{public} ? JSON::PP::true : JSON::PP::false,
          maxParticipants => $o->{max} // 0,
          settings => { e2ee => $o->{e2ee} ? JSON::PP::true : JSON::PP::false } },
        $owner);
    is($st, 200, "the $name room is created") or diag(explain $r);
    $room{$name} = $r->{id};
}
system('ffmpeg', '-v', 'error', '-f', 'lavfi', '-i',
       'sine=frequency=1000:duration=1', "$dir/tone.wav") == 0
    or BAIL_OUT('ffmpeg cannot make a tone');
my $link = sub { "$e->{url}/r/$_[0]-$n#key=$key" };

# runs the bot: (exit status, output); %env is its environment
sub bot {
    my ($args, %env) = @_;
    my $pid = open(my $fh, '-|') // die "fork: $!";
    if (!$pid) {
        open STDERR, '>&', \*STDOUT;
        open STDIN, '<', '/dev/null';
        delete @ENV{grep { /^BEDRUD_/ } keys %ENV};
        @ENV{keys %env} = values %env;
        exec $bot, @$args or POSIX::_exit(127);
    }
    local $/;
    my $out = <$fh>;
    close $fh;
    return ($? >> 8, $out // '');
}

sub case {
    my ($what, $want, $re, $args, %env) = @_;
    my ($rc, $out) = bot($args, %env);
    is($rc, $want, "$what: exit status $want") or diag($out);
    like($out, $re, "$what: says so") or diag($out);
    return $out;
}

my @rec = ('record', '--out', "$dir/x", '--duration', '2');

case('a room without E2EE, a key in the link', 0,
     qr/not end-to-end encrypted; the key in the link is not used.*NOT end-to-end encrypted/s,
     ['record', '--out', "$dir/plain", '--duration', '2'],
     BEDRUD_LINK => $link->('plain'));
case('a link without /r/', 1, qr/path must be \/r\/<room>/,
     \@rec, BEDRUD_LINK => "$e->{url}/room/open-$n#key=$key");
case('a key cut short', 1, qr/42 characters, not 43/,
     \@rec, BEDRUD_LINK => "$e->{url}/r/open-$n#key=" . substr($key, 1));
case('an E2EE room, no key in the link', 1, qr/has no key \(#key=\.\.\.\)/,
     \@rec, BEDRUD_LINK => "$e->{url}/r/open-$n");
case('no such room', 2, qr/no such room/,
     \@rec, BEDRUD_LINK => $link->('nothere'));
case('a private room, as a guest', 2, qr/does not let guests in/,
     \@rec, BEDRUD_LINK => $link->('private'));
case('nothing listening', 4, qr/cannot reach http:\/\/127\.0\.0\.1:1\b/,
     \@rec, BEDRUD_LINK => "http://127.0.0.1:1/r/open-$n#key=$key");

open my $bad, '>', "$dir/not-audio.txt" or die;
print $bad "this is not audio\n";
close $bad;
case('say: a file that is not audio', 1, qr/cannot decode .*not-audio\.txt/,
     ['say', "$dir/not-audio.txt"], BEDRUD_LINK => $link->('open'));

# an account from a credentials file
my $cred = "$dir/cred";
open my $c, '>', $cred or die;
print $c "# the bot's account\nBEDRUD_EMAIL=owner$n\@example.com\nBEDRUD_PASSWORD=wrong password\n";
close $c;
chmod 0600, $cred;
case('a wrong password', 2, qr/email or password is wrong/,
     [@rec, '--credentials', $cred], BEDRUD_LINK => $link->('private'));
open $c, '>', $cred or die;
print $c "BEDRUD_EMAIL=owner$n\@example.com\nBEDRUD_PASSWORD=correct horse battery\n"
    . "BEDRUD_LINK=" . $link->('private') . "\n";
close $c;
my $out = case('an account from a credentials file', 0,
               qr/joined \S+\/r\/private-$n as Owner \(/,
               ['record', '--out', "$dir/acct", '--duration', '2',
                '--credentials', $cred]);
unlike($out, qr/chmod 600/, 'a file of mode 600 is not warned about');
ok(-s "$dir/acct/recording.json", 'and wrote its recording.json');

case('say to an empty room, with an access token', 5,
     qr/nobody subscribed to the announcement within 3 s/,
     ['say', '--wait', '3', "$dir/tone.wav"],
     BEDRUD_LINK => $link->('private'), BEDRUD_ACCESS_TOKEN => $owner);

# the full room: the owner holds its only seat
($st) = api(POST => '/api/room/join', { roomName => "full-$n" }, $owner);
is($st, 200, 'the owner takes the one seat of the full room');
case('a full room', 2, qr/the room is full/, \@rec, BEDRUD_LINK => $link->('full'));

# a bot in the background: its pid; what it prints goes to $log
sub start_bot {
    my ($log, $args, %env) = @_;
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        open STDOUT, '>', $log;
        open STDERR, '>&', \*STDOUT;
        open STDIN, '<', '/dev/null';
        delete @ENV{grep { /^BEDRUD_/ } keys %ENV};
        @ENV{keys %env} = values %env;
        exec $bot, @$args or POSIX::_exit(127);
    }
    return $pid;
}

# waits for $re in $log; its first group
sub wait_log {
    my ($log, $re) = @_;
    my $deadline = time + 30;
    until (time > $deadline) {
        my @m = E2E::slurp($log) =~ $re;
        return $m[0] // 1 if @m;
        sleep 0.2;
    }
    return undef;
}

# the exit status of $pid within $secs, or undef (then it is killed)
sub reap {
    my ($pid, $secs) = @_;
    for (1 .. $secs * 10) {
        return $? >> 8 if waitpid($pid, POSIX::WNOHANG()) == $pid;
        sleep 0.1;
    }
    kill 'KILL', $pid;
    waitpid $pid, 0;
    return undef;
}

# Ctrl-C while say waits for a listener
my $log = "$dir/say-stop.log";
my $pid = start_bot($log, ['say', '--wait', '60', "$dir/tone.wav"],
                    BEDRUD_LINK => $link->('open'), BEDRUD_GUEST => 'Quiet');
ok(wait_log($log, qr/: joined /), 'say joins an empty room and waits');
sleep 1;
kill 'INT', $pid;
is(reap($pid, 10), 0, 'Ctrl-C ends it at once, exit status 0');
like(E2E::slurp($log), qr/stopped before anyone listened/, 'saying so');

# banned while recording: exit 6, and banned when coming back
$log = "$dir/banned.log";
$pid = start_bot($log, ['record', '--out', "$dir/banned"],
                 BEDRUD_LINK => $link->('open'), BEDRUD_GUEST => 'Taper');
my $ident = wait_log($log, qr/joined .* as Taper \((guest-[\w-]+)\)/);
ok($ident, 'a guest recorder joins') or diag(E2E::slurp($log));
my $cmdline = E2E::slurp("/proc/$pid/cmdline");
ok($cmdline =~ /record/ && index($cmdline, $key) < 0,
   'its command line (ps) does not show the key');
($st) = api(POST => "/api/room/$room{open}/ban/$ident", undef, $owner);
is($st, 200, 'the owner bans it');
is(reap($pid, 15), 6, 'the recorder exits with status 6');
like(E2E::slurp($log), qr/removed from the room/, 'saying it was removed');
ok(-s "$dir/banned/recording.json", 'its recording.json is written');
case('coming back after the ban', 2, qr/you are banned from this room/,
     \@rec, BEDRUD_LINK => $link->('open'), BEDRUD_GUEST => 'Taper');

done_testing();
