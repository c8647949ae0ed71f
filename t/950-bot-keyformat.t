# The room key format (docs/e2ee.md), held three ways (plain Test::More):
#
#   - bedrud-bot's unit tests (Python: link and key parsing, HKDF, key
#     indexes, WAV, the API client, judging decryption), one check each;
#   - livekit-client's own code in node (web/test/e2ee-vector.mjs): the
#     options the web client's key provider gets, the key it derives, and
#     frames and a data packet its e2ee worker encrypts, taken apart as the
#     document says;
#   - the derived key of the document's test vector, and of a random key,
#     the same from both; the document's numbers are the ones computed.
#
# make test installs the bot (tools/bedrud-bot/install) and web/node_modules.

use strict;
use warnings;

use lib 't/inc';
use E2E;
use Test::More;
use JSON::PP ();

my $top = $ENV{TEST_NGINX_TOP};
my $py = "$top/var/bedrud-bot/venv/bin/python";
E2E::need('var/bedrud-bot/venv/bin/python',
          'web/node_modules/livekit-client/package.json');

# ------------------------------------------------- the bot's unit tests

my @unit = `cd '$top/tools/bedrud-bot' && PYTHONDONTWRITEBYTECODE=1 '$py' -m unittest discover -s tests -t . -v 2>&1`;
my $unit_rc = $? >> 8;
my $n = 0;
for (@unit) {
    chomp;
    if (/^(test_\w+) \(([\w.]+)\)(?: \.\.\.)? ?(.*)$/) {
        my ($name, $where, $res) = ($1, $2, $3);
        $where =~ s/^tests\.//;
        $where =~ s/\.\Q$name\E$//;
        ok($res eq 'ok', "bot: $where $name") or diag($_);
        $n++;
    }
}
cmp_ok($n, '>=', 30, "the bot's unit tests ran ($n)");
is($unit_rc, 0, 'and passed') or diag(join "\n", @unit);

# --------------------------------------------- livekit-client, in node

my $json = JSON::PP->new;

sub vector {
    my ($key) = @_;
    my $arg = defined $key ? "'$key'" : '';
    my $raw = `cd '$top/web' && timeout 60 node test/e2ee-vector.mjs $arg 2>&1`;
    my $v = eval { $json->decode($raw) };
    ok($v && !$v->{error}, 'livekit-client agrees with the documented layout'
                           . (defined $key ? ' (a random key)' : ''))
        or diag($raw);
    return $v || {};
}

sub bot_frame_key {
    my ($key) = @_;
    my $k = `cd '$top/tools/bedrud-bot' && '$py' -c 'import sys; from bedrud_bot import keys; print(keys.frame_key(keys.decode_key(sys.argv[1])).hex())' '$key' 2>&1`;
    chomp $k;
    return $k;
}

my $v = vector();
my $o = $v->{options} || {};
is($o->{sharedKey} ? 1 : 0, 1, 'the web client\'s key provider: one shared key');
is($o->{ratchetSalt}, 'LKFrameEncryptionKey', 'ratchet salt');
is($o->{ratchetWindowSize}, 0, 'no ratchet window');
is($o->{failureTolerance}, -1, 'never gives up a key');
is($o->{keyringSize}, 16, '16 key indexes');
is($o->{keySize}, 128, 'AES-128');
is($v->{roomKey}, 'AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8', 'the vector\'s room key');
is($v->{frameKey}, '6d0dd7b3d6f4efde47ab9a9e15abde76', 'its frame key');
is(bot_frame_key($v->{roomKey}), $v->{frameKey}, 'the bot derives the same');

my $af = $v->{audioFrame} || {};
is($af->{header}, '78', 'an Opus frame keeps its first byte (TOC) in the clear');
is($af->{ivLength}, 12, 'then ciphertext and tag, a 12-byte IV, the IV length');
is($af->{keyIndex}, 0, 'and the key index (0)');
is($af->{overhead}, 30, '30 bytes more than the frame');
like($af->{iv} // '', qr/^11223344000003c0/, 'the IV starts with the SSRC and the RTP timestamp');
my $vf = $v->{vp8KeyFrame} || {};
is(length($vf->{header} // '') / 2, 10, 'a VP8 key frame keeps 10 bytes in the clear');
is($vf->{overhead}, 30, 'also 30 bytes more');
my $dp = $v->{dataPacket} || {};
is($dp->{ivLength}, 12, 'a data packet: a 12-byte IV beside it');
is($dp->{overhead}, 16, 'and the 16-byte tag');

my $random = join '', map { ('A' .. 'Z', 'a' .. 'z', 0 .. 9, '-', '_')[rand 64] } 1 .. 42;
$random .= ('A', 'Q', 'g', 'w')[rand 4];
my $rv = vector($random);
like($rv->{frameKey} // '', qr/^[0-9a-f]{32}$/, 'a random key\'s frame key');
is(bot_frame_key($random), $rv->{frameKey}, 'the bot derives the same');

# ------------------------------------------------------ the document

my $doc = E2E::slurp("$top/docs/e2ee.md");
for my $what (['room key', $v->{roomKey}], ['frame key', $v->{frameKey}],
              ['example IV', $v->{example}{iv}],
              ['example frame', $v->{example}{frame}],
              ['example plaintext', $v->{example}{plain}]) {
    my ($name, $value) = @$what;
    ok($value && index($doc, $value) >= 0, "docs/e2ee.md gives the $name")
        or diag("$name: $value");
}

done_testing();
