# The web client and bedrud-bot (LiveKit's Python SDK, tools/bedrud-bot) in
# one end-to-end encrypted meeting (plain Test::More): web/test/bot-peer.mjs
# drives Debian's chromium and the bots, each of its checks one of ours;
# then the files the recorder wrote are taken apart here:
#
#   - Alice's microphone (chromium's fake device: a 400 Hz beep twice a
#     second) has its energy at 400 Hz, in nearly every half second;
#   - her camera is H.264 at 1280x720 (what the web client publishes), with
#     as many frames as seconds say;
#   - the announcer's 1 kHz tone, recorded by the recorder and by the one
#     holding key index 1, has its energy at 1 kHz;
#   - the recorder followed the room key's rotation when Alice removed a
#     participant (recording.json "keys") and her beeps go on after it;
#   - the recorder stopped by Ctrl-C finished its files;
#   - the recorder with another key wrote no media file;
#   - LiveKit saw the bots' tracks as encrypted (GCM), its webhooks reached
#     the module, which removed nobody on its own; neither key, the first
#     nor the rotated one, is in any log, nor in what the bots printed.
#
# make test installs the bot (tools/bedrud-bot/install) and builds the rest.
# BEDRUD_E2E=0 skips this file.

use strict;
use warnings;

use lib 't/inc';
use BedrudTest;
use E2E;
use Test::More;
use File::Temp qw(tempdir);
use JSON::PP ();

my $top = $ENV{TEST_NGINX_TOP};
my $bot = "$top/tools/bedrud-bot/bedrud-bot";

plan skip_all => 'BEDRUD_E2E=0' if ($ENV{BEDRUD_E2E} // '1') eq '0';
E2E::need('var/bin/livekit-server', 'web/dist/index.html',
          'web/node_modules/playwright-core/cli.js',
          'var/bedrud-bot/venv/bin/python');
my $chromium = $ENV{CHROMIUM} || '/usr/bin/chromium';
for my $exe ($chromium, '/usr/bin/ffmpeg', '/usr/bin/ffprobe') {
    BAIL_OUT("$exe is missing (make deps installs it)") unless -x $exe;
}
plan skip_all => "no Redis on port $ENV{TEST_NGINX_REDIS_PORT}"
    unless redis_cli('PING') eq 'PONG';

my $e = E2E::start();
pass('livekit-server and nginx answer');

my $out = tempdir('bedrud-bot-XXXXXX', TMPDIR => 1, CLEANUP => 1);
my $tone = "$out/tone.wav";
system('ffmpeg', '-v', 'error', '-f', 'lavfi', '-i',
       'sine=frequency=1000:duration=8', '-ac', '1', '-ar', '44100', $tone) == 0
    or BAIL_OUT('ffmpeg cannot make the tone');

my @out = `cd '$top/web' && BEDRUD_BOT='$bot' CHROMIUM='$chromium' timeout 240 node test/bot-peer.mjs '$e->{url}' '$out' '$tone' 2>&1`;
my $rc = $? >> 8;
my %info;
for (@out) {
    chomp;
    if (/^(not )?ok - (.*)$/) {
        ok(!$1, "browser and bots: $2");
    } elsif (/^info (\S+) (.*)$/) {
        $info{$1} = $2;
    } else {
        diag($_);
    }
}
is($rc, 0, 'the run ended well');
ok($info{key} && $info{room}, 'it named the room and its key')
    or BAIL_OUT('no room');

# ---------------------------------------------------------------- the files

my $json = JSON::PP->new;
sub manifest { $json->decode(E2E::slurp("$_[0]/recording.json") || '{}') }

sub person {
    my ($m, $name) = @_;
    my ($p) = grep { $_->{name} eq $name } @{ $m->{participants} || [] };
    return $p || {};
}

sub file_of {
    my ($p, $source) = @_;
    my ($f) = grep { $_->{source} eq $source } @{ $p->{files} || [] };
    return $f || {};
}

# the magnitude of frequency $f in 16-bit mono samples (Goertzel), per sample
sub tone_at {
    my ($s, $f) = @_;
    my $k = 2 * cos(2 * 3.141592653589793 * $f / 48000);
    my ($s1, $s2) = (0, 0);
    for my $v (@$s) {
        my $s0 = $v + $k * $s1 - $s2;
        ($s2, $s1) = ($s1, $s0);
    }
    my $p = $s1 * $s1 + $s2 * $s2 - $k * $s1 * $s2;
    return sqrt($p > 0 ? $p : 0) / @$s;
}

# 48 kHz mono 16-bit samples of a WAV, [from, from + secs)
sub samples {
    my ($file, $from, $secs) = @_;
    open my $fh, '<:raw', $file or return [];
    local $/;
    my $wav = <$fh>;
    return [] unless length($wav) > 44 && substr($wav, 0, 4) eq 'RIFF'
        && unpack('v', substr($wav, 22, 2)) == 1
        && unpack('V', substr($wav, 24, 4)) == 48000;
    my @all = unpack('s<*', substr($wav, 44));
    my $a = int($from * 48000);
    my $b = $secs ? $a + int($secs * 48000) : @all;
    $b = @all if $b > @all;
    return [ @all[$a .. $b - 1] ];
}

sub probe {
    my ($file) = @_;
    my $p = `ffprobe -v error -count_frames -select_streams v:0 -show_entries stream=codec_name,width,height,nb_read_frames -of json '$file' 2>&1`;
    my $d = eval { $json->decode($p) } || {};
    return ($d->{streams} || [])->[0] || {};
}

my $rec = manifest("$out/rec");
ok($rec->{e2ee}, 'the recorder knew the room was end-to-end encrypted');
my $alice = person($rec, 'Alice');
ok($alice->{decrypted}, 'the recorder decrypted Alice')
    or diag(E2E::slurp("$out/record.log"));

my $mic = file_of($alice, 'microphone');
my $wav = "$out/rec/$mic->{file}";
cmp_ok($mic->{seconds} // 0, '>', 20, "her microphone: $mic->{seconds} s of audio");
ok($rec->{ended}, 'stopped by Ctrl-C, recording.json says when it ended');
open my $wh, '<:raw', $wav;
read $wh, my $hdr, 44;
close $wh;
is(unpack('V', substr($hdr // '', 40, 4)), (-s $wav) - 44,
   'and the WAV header counts every byte');
my $s = samples($wav, 5, 10);
is(scalar @$s, 480000, 'a WAV of 48 kHz 16-bit mono PCM');
my ($at400, $at1k, $at250) = map { tone_at($s, $_) } 400, 1000, 250;
diag(sprintf 'her microphone: magnitude %.1f at 400 Hz, %.1f at 1 kHz, %.1f at 250 Hz',
             $at400, $at1k, $at250);
cmp_ok($at400, '>', 50, 'the fake microphone\'s 400 Hz beep is in it');
cmp_ok($at400, '>', 5 * ($at1k > $at250 ? $at1k : $at250),
       'far above other frequencies');

# chromium's fake microphone beeps every 500 ms: how many half seconds of
# what was recorded hold a beep (the recording's fidelity)
my $all = samples($wav, 1, 0);
my ($half, $beeps) = (0, 0);
for (my $i = 0; $i + 24000 <= @$all; $i += 24000) {
    $half++;
    $beeps++ if tone_at([ @$all[$i .. $i + 23999] ], 400) > 10;
}
diag(sprintf 'beeps in %d of %d half seconds (%.1f%%)', $beeps, $half,
             100 * $beeps / ($half || 1));
cmp_ok($beeps, '>=', 0.9 * $half, 'a beep in nearly every half second');

# the key rotation (a participant removed): the recorder followed it, and
# her beeps go on after it switched to the new key
my ($turn) = @{ $rec->{keys} || [] };
ok($turn && $turn->{index} == 1,
   'the recorder followed the room key to index 1 (at ' . ($turn->{at} // '?') . ' s)');
my $post = samples($wav, ($turn->{at} // 0) - ($mic->{start} // 0) + 2, 5);
my $postbeeps = grep { tone_at([ @$post[$_ * 24000 .. $_ * 24000 + 23999] ], 400) > 10 }
    0 .. int(@$post / 24000) - 1;
diag("after the rotation: beeps in $postbeeps of 10 half seconds");
cmp_ok($postbeeps, '>=', 9, 'her beeps are recorded after the switch to the new key');

my $cam = file_of($alice, 'camera');
my $v = probe("$out/rec/$cam->{file}");
is($v->{codec_name}, 'h264', 'her camera: an H.264 file');
is("$v->{width}x$v->{height}", '1280x720', 'of the size her browser sends');
diag("her camera: $cam->{received} frames received, $v->{nb_read_frames} in the file at $cam->{fps} fps, $cam->{resized} resized");
cmp_ok($v->{nb_read_frames} // 0, '>=', int(($cam->{seconds} || 1) * $cam->{fps}) - 2,
       'as many frames as its seconds say');
cmp_ok($cam->{received} // 0, '>', 10 * 20, 'from more than 10 frames a second');

my $ann = file_of(person($rec, 'Announcer'), 'microphone');
my $a = samples("$out/rec/$ann->{file}", 1, 5);
cmp_ok(scalar @$a, '==', 240000, 'the recorder recorded the announcer');
my ($t1k, $t400) = (tone_at($a, 1000), tone_at($a, 400));
diag(sprintf 'the announcer: magnitude %.1f at 1 kHz, %.1f at 400 Hz', $t1k, $t400);
cmp_ok($t1k, '>', 20 * ($t400 + 1), 'its 1 kHz tone is in it');

my $wrong = manifest("$out/wrong");
ok(!person($wrong, 'Alice')->{decrypted}, 'another key: Alice not decrypted');
is(scalar(map { @{ $_->{files} } } @{ $wrong->{participants} || [] }), 0,
   'and no media file written');

my $ann1 = file_of(person(manifest("$out/index1"), 'Announcer1'), 'microphone');
$a = samples("$out/index1/$ann1->{file}", 1, 5);
ok(@$a && tone_at($a, 1000) > 20 * (tone_at($a, 400) + 1),
   'key index 1: the recorder holding it has the tone');
ok(!@{ person(manifest("$out/index0"), 'Announcer1')->{files} || [] },
   'the one holding only index 0 wrote nothing of it');

# ------------------------------------------------------------ the servers

my $logs = join '', map { E2E::slurp($_) } glob("$out/*.log");
my ($say_id) = $logs =~ /joined \S+ as Announcer \((guest-[\w-]+)\)/;
ok($say_id, "the announcer's identity: " . ($say_id // '?'));
my $access = E2E::slurp("$e->{dir}/logs/access.log");
my $error = E2E::slurp("$e->{dir}/logs/error.log");
my $lk = E2E::slurp("$e->{dir}/livekit.log");

my @pub = grep { /mediaTrack published/ && /"participant": "\Q$say_id\E"/ }
    split /\n/, $lk;
ok(@pub, 'LiveKit logged the announcer\'s track');
ok(@pub && (grep { /"encryption": "GCM"/ } @pub) == @pub,
   'as encrypted (GCM)');
like($access, qr{"POST /api/livekit/webhook HTTP/1\.1" 200 }, 'its webhooks reached the module');
unlike($error, qr/published an unencrypted/, 'which removed no one');
my $kept = join '', map { E2E::slurp($_) } grep { !/victim\.log$/ } glob("$out/*.log");
unlike($kept, qr/removed from the room/, 'no bot was removed (but the one Alice removed)');
like(E2E::slurp("$out/victim.log"), qr/removed from the room/, 'which was told so');
unlike("$access$error$lk", qr/\Q$info{key}\E/, 'the room key is in no server log');
ok($info{key1} && index("$access$error$lk$logs", $info{key1}) < 0,
   'nor the rotated one, nor in what the bots printed');
unlike($logs, qr/\Q$info{key}\E/, 'nor in what the bots printed');
# nor the derived frame key, as hex or as the byte list libwebrtc can log
my $fk = `cd '$top/tools/bedrud-bot' && '$top/var/bedrud-bot/venv/bin/python' -c 'import sys; from bedrud_bot import keys; print(keys.frame_key(keys.decode_key(sys.argv[1])).hex())' '$info{key}'`;
chomp $fk;
my $list = join ',', map { hex } $fk =~ /(..)/g;
ok(length($fk) == 32 && index($logs, $fk) < 0 && index($logs, $list) < 0,
   'nor the frame key derived from it');
unlike($logs, qr/panicked/, 'no bot panicked');

# the figures, for the record
my ($join) = E2E::slurp("$out/record.log") =~ /joined .* in ([\d.]+) s/;
my ($took, $cpu) = E2E::slurp("$out/record.log") =~ /recorded (\S+) into .*\(CPU: ([^)]*)\)/;
diag("recorder: joined in $join s; recorded $took with CPU $cpu") if $join && $cpu;
diag("Alice's camera sent, by layer, while it recorded: $info{'camera-sent'}")
    if $info{'camera-sent'};
diag("browser: $info{'browser-audio-seconds'} s of the announcer decoded, "
     . "concealed $info{'browser-concealed'}");
diag("the last recorder ended $info{'alone-exit-seconds'} s after Alice left")
    if $info{'alone-exit-seconds'};

done_testing();
