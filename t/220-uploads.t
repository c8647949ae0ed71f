# Chat uploads (Bedrud's §5.7): POST /api/room/:roomId/chat/upload with
# the multipart field "file"; PNG, JPEG, GIF and WebP by their bytes, never
# by the client's word; Bedrud's answer {"url","mime","size","w","h"}; the
# file stored under bedrud_upload_dir by its SHA-256, and served by nginx
# from the shipped location (conf/bedrud-server.conf, used as it is) with
# the type of the kind sniffed and nosniff.  Polyglots, HTML renamed
# .png, limits, truncated forms, E2EE rooms, and who may upload.

use lib 't/inc';
use BedrudTest;
use LiveKitMock qw(make_room load_rooms);
use Test::Nginx::Socket 'no_plan';
use Digest::SHA qw(sha256_hex);

repeat_each(1);
no_shuffle();
no_long_string();

load_rooms();

# the shipped locations of the upload route and of the images
our $locations = do {
    my $f = "$ENV{TEST_NGINX_TOP}/conf/bedrud-server.conf";
    open my $fh, '<', $f or die "$f: $!";
    local $/;
    my $c = <$fh>;
    my @l = $c =~ /^(location ~ [^\n]*(?:chat\/upload|uploads\/chat)[^\n]*\{\n.*?^\})/msg;
    die "conf/bedrud-server.conf: the upload locations are missing" unless @l == 2;
    join "\n", @l;
};

our $extra = "    bedrud_upload_dir uploads;\n"
    . "    map \$https \$bedrud_hsts { default \"\"; }";
our $http_config = http_config(extra => $extra);
our $small_config = http_config(extra => "$extra\n    bedrud_upload_max_size 1k;");
our $off_config = http_config(extra => "    map \$https \$bedrud_hsts { default \"\"; }");
our $config = "$locations\n    location /api/ { bedrud_api; }";

# settings in a database of their own (chatUploadMaxBytes)
{
    local $BedrudTest::DB = 14;
    redis_cli('FLUSHDB');
    load_rooms();
}
our $db14_config = http_config(db => 14, extra => $extra);

# images, smallest well-formed headers of each kind
our %img = (
    png  => "\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR\0\0\0\x03\0\0\0\x02\x08\x06\0\0\0"
            . "\x0c\x0b\x0c\x0d\0\0\0\0IEND\xaeB`\x82",
    jpg  => "\xff\xd8\xff\xe0\0\x10JFIF\0\x01\x01\0\0\x01\0\x01\0\0"
            . "\xff\xc0\0\x11\x08\0\x07\0\x05\x03\x01\x22\0\x02\x11\x01\x03\x11\x01"
            . "\xff\xd9",
    gif  => "GIF89a\x09\0\x04\0\x80\0\0\0\0\0\xff\xff\xff!\xf9\x04\x01\0\0\0\0"
            . ",\0\0\0\0\x01\0\x01\0\0\x02\x02D\x01\0;",
    webp => "RIFF\x1a\0\0\0WEBPVP8 \x0e\0\0\0\x30\x01\0\x9d\x01\x2a"
            . "\x0b\0\x06\0\0\0\0\0",
    webpl => "RIFF\x1a\0\0\0WEBPVP8L\x0d\0\0\0\x2f"
            . pack('V', (20 - 1) | ((10 - 1) << 14)) . "\0" x 9,
    webpx => "RIFF\x1e\0\0\0WEBPVP8X\x0a\0\0\0\x10\0\0\0"
            . "\x3f\x01\0" . "\x1f\x01\0" . "\0" x 8,
);

our $boundary = '----bedrudTestBoundary7MA4YWxkTrZu0gW';
our $mp = "Content-Type: multipart/form-data; boundary=$boundary";

# a form with one part (name, content, filename, declared type)
sub form {
    my ($content, %o) = @_;
    my $name = $o{name} // 'file';
    my $fn = $o{filename} // 'picture.png';
    my $type = $o{type} // 'image/png';
    return "--$boundary\r\n"
        . "Content-Disposition: form-data; name=\"$name\"; filename=\"$fn\"\r\n"
        . "Content-Type: $type\r\n\r\n$content\r\n--$boundary--\r\n";
}

# the answer for an image of that kind
sub answer {
    my ($bytes, $mime, $ext, $w, $h) = @_;
    my $url = '/uploads/chat/' . sha256_hex($bytes) . ".$ext";
    return qq({"url":"$url","mime":"$mime","size":) . length($bytes)
        . qq(,"w":$w,"h":$h});
}

sub url { '/uploads/chat/' . sha256_hex($_[0]) . ".$_[1]" }

# a room, and a user holding a seat in it: (room id, token)
sub seated {
    my (%o) = @_;
    my ($owner, $ao) = BedrudTest::mint_pair();
    my ($uid, $a) = BedrudTest::mint_pair();
    my ($id) = ::make_room(owner => $owner, %o);
    BedrudTest::redis_cli('ZADD', "bedrud:room:{$id}:seats", time + 600, $uid);
    return ($id, $a, $ao);
}

sub auth { "Authorization: Bearer $_[0]" }

run_tests();

__DATA__

=== TEST 1: each kind, by its bytes: Bedrud's answer, then served by nginx with that type and nosniff
--- http_config eval: $::http_config
--- config eval: $::config
--- request eval
my ($id, $a) = ::seated();
my $h = ::auth($a) . "\n$::mp";
@::k1 = qw(png jpg gif webp webpl webpx);
$::h1 = [ map { ($h, '') } @::k1 ];
[ map { ("POST /api/room/$id/chat/upload\n" . ::form($::img{$_}),
         "GET " . ::url($::img{$_}, /^webp/ ? 'webp' : $_)) } @::k1 ]
--- more_headers eval
$::h1
--- error_code eval
[ (200) x 12 ]
--- response_body eval
[
  ::answer($::img{png}, 'image/png', 'png', 3, 2), $::img{png},
  ::answer($::img{jpg}, 'image/jpeg', 'jpg', 5, 7), $::img{jpg},
  ::answer($::img{gif}, 'image/gif', 'gif', 9, 4), $::img{gif},
  ::answer($::img{webp}, 'image/webp', 'webp', 11, 6), $::img{webp},
  ::answer($::img{webpl}, 'image/webp', 'webp', 20, 10), $::img{webpl},
  ::answer($::img{webpx}, 'image/webp', 'webp', 320, 288), $::img{webpx},
]
--- response_headers eval
[
  map { ({ 'Content-Type' => 'application/json' },
         { 'Content-Type' => $_, 'X-Content-Type-Options' => 'nosniff' }) }
      qw(image/png image/jpeg image/gif image/webp image/webp image/webp)
]
--- no_error_log
[alert]
[crit]



=== TEST 2: a polyglot (PNG, then HTML and script) is an image/png, and served as nothing else
--- http_config eval: $::http_config
--- config eval: $::config
--- request eval
my ($id, $a) = ::seated();
$::poly = $::img{png} . "<html><body><script>alert(document.cookie)</script></body></html>";
$::h2 = [ ::auth($a) . "\n$::mp", '' ];
[
  "POST /api/room/$id/chat/upload\n" . ::form($::poly, filename => 'x.html', type => 'text/html'),
  "GET " . ::url($::poly, 'png'),
]
--- more_headers eval
$::h2
--- error_code eval
[200, 200]
--- response_body eval
[ ::answer($::poly, 'image/png', 'png', 3, 2), $::poly ]
--- response_headers eval
[
  {},
  { 'Content-Type' => 'image/png', 'X-Content-Type-Options' => 'nosniff',
    'Content-Security-Policy' => "default-src 'none'; sandbox" },
]



=== TEST 3: what is not one of the four kinds is named, as Go's sniffer names it; a broken header is refused
--- http_config eval: $::http_config
--- config eval: $::config
--- request eval
my ($id, $a) = ::seated();
$::h3 = ::auth($a) . "\n$::mp";
my $u = "POST /api/room/$id/chat/upload\n";
[
  $u . ::form("<!DOCTYPE html><html><script>alert(1)</script></html>", filename => 'cat.png'),
  $u . ::form("  <HTML><body>hi</body></html>"),
  $u . ::form("just some text, named picture.png"),
  $u . ::form("%PDF-1.7\n\xe2\xe3\xcf\xd3"),
  $u . ::form("BM\x36\0\0\0\0\0"),
  $u . ::form("\0\x01\x02\x03 binary"),
  $u . ::form("\x89PNG\r\n\x1a\n\0\0\0\x0dIHDX"),
  $u . ::form("\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR\0\0\0\0\0\0\0\x02\x08\x06\0\0\0"),
  $u . ::form("\xff\xd8\xff\xda\0\x08"),
  $u . ::form("GIF89a\x01"),
  $u . ::form(""),
]
--- more_headers eval: $::h3
--- error_code eval
[ (400) x 11 ]
--- response_body eval
[
  '{"error":"unsupported image type: text/html; charset=utf-8"}',
  '{"error":"unsupported image type: text/html; charset=utf-8"}',
  '{"error":"unsupported image type: text/plain; charset=utf-8"}',
  '{"error":"unsupported image type: application/pdf"}',
  '{"error":"unsupported image type: image/bmp"}',
  '{"error":"unsupported image type: application/octet-stream"}',
  '{"error":"invalid image"}',
  '{"error":"invalid image"}',
  '{"error":"invalid image"}',
  '{"error":"invalid image"}',
  '{"error":"unsupported image type: text/plain; charset=utf-8"}',
]
--- response_body_filters eval
sub { $_[0] =~ s/\n\z//r }



=== TEST 4: forms without the file: another field, cut short, not multipart, no body at all
--- http_config eval: $::http_config
--- config eval: $::config
--- request eval
my ($id, $a) = ::seated();
my $full = ::form($::img{png});
$::h4 = [ (::auth($a) . "\n$::mp") x 3,
          ::auth($a) . "\nContent-Type: application/json",
          ::auth($a) . "\n$::mp",
          ::auth($a) . "\nContent-Type: multipart/form-data",
          ::auth($a) . "\n$::mp" ];
my $u = "POST /api/room/$id/chat/upload";
[
  "$u\n" . ::form($::img{png}, name => 'image'),
  "$u\n" . substr($full, 0, length($full) - 30),
  "$u\n" . "--$::boundary\r\nContent-Disposition: form-data; name=\"file\"",
  "$u\n{\"file\":\"x\"}",
  $u,
  "$u\n" . $full,
  "$u\n" . "preamble\r\n--$::boundary\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhello\r\n--$::boundary\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a\"\r\n\r\n$::img{gif}\r\n--$::boundary--\r\n",
]
--- more_headers eval
$::h4
--- error_code eval
[400, 400, 400, 400, 400, 400, 200]
--- response_body eval
[
  ('{"error":"Missing file field"}') x 6,
  ::answer($::img{gif}, 'image/gif', 'gif', 9, 4),
]
--- response_body_filters eval
sub { $_[0] =~ s/\n\z//r }



=== TEST 5: an E2EE room never takes an upload: the server holds no content of it in the clear
--- http_config eval: $::http_config
--- config eval: $::config
--- request eval
my ($id, $a, $ao) = ::seated(e2ee => 1);
$::h5 = [ ::auth($a) . "\n$::mp", ::auth($ao) . "\n$::mp" ];
[
  "POST /api/room/$id/chat/upload\n" . ::form($::img{png}),
  "POST /api/room/$id/chat/upload\n" . ::form($::img{png}),
]
--- more_headers eval
$::h5
--- error_code eval
[403, 403]
--- response_body eval
[ ('{"error":"uploads are disabled in end-to-end encrypted rooms: send the image in the encrypted chat"}') x 2 ]
--- response_body_filters eval
sub { $_[0] =~ s/\n\z//r }



=== TEST 6: who may: a participant (seat), the owner, a superadmin; a stranger not; unknown rooms, no token
--- http_config eval: $::http_config
--- config eval: $::config
--- request eval
my ($id, $a, $ao) = ::seated();
my (undef, $as) = BedrudTest::mint_pair();
my (undef, $asu) = BedrudTest::mint_pair(accesses => ['user', 'superadmin']);
my ($uid2, $a2) = BedrudTest::mint_pair();
# a seat that expired is no seat
BedrudTest::redis_cli('ZADD', "bedrud:room:{$id}:seats", time - 10, $uid2);
# the cookie: from the site's own page (its Origin), not another site's
$::h6 = [ map({ ::auth($_) . "\n$::mp" } $a, $ao, $asu, $as, $a2, $a, $a),
          $::mp, "Cookie: access_token=$a\nOrigin: http://localhost\n$::mp",
          "Cookie: access_token=$a\nOrigin: https://evil.example\n$::mp" ];
my $f = ::form($::img{jpg});
[
  "POST /api/room/$id/chat/upload\n$f",
  "POST /api/room/$id/chat/upload\n$f",
  "POST /api/room/$id/chat/upload\n$f",
  "POST /api/room/$id/chat/upload\n$f",
  "POST /api/room/$id/chat/upload\n$f",
  "POST /api/room/" . BedrudTest::uuid() . "/chat/upload\n$f",
  "POST /api/room/not-a-uuid/chat/upload\n$f",
  "POST /api/room/$id/chat/upload\n$f",
  "POST /api/room/$id/chat/upload\n$f",
  "POST /api/room/$id/chat/upload\n$f",
]
--- more_headers eval
$::h6
--- error_code eval
[200, 200, 200, 403, 403, 404, 404, 401, 200, 403]
--- response_body eval
my $ok = ::answer($::img{jpg}, 'image/jpeg', 'jpg', 5, 7);
[
  $ok, $ok, $ok,
  '{"error":"join the room before uploading to its chat"}',
  '{"error":"join the room before uploading to its chat"}',
  '{"error":"Room not found"}',
  '{"error":"Room not found"}',
  '{"error":"Missing authorization"}',
  $ok,
  '{"error":"cross-site request refused"}',
]
--- response_body_filters eval
sub { $_[0] =~ s/\n\z//r }



=== TEST 7: limits: over bedrud_upload_max_size (1k here), refused before the body is read, or after it
--- http_config eval: $::small_config
--- config eval: $::config
--- request eval
my ($id, $a) = ::seated();
$::h7 = ::auth($a) . "\n$::mp";
$::big7 = $::img{png} . ('x' x 2000);
[
  "POST /api/room/$id/chat/upload\n" . ::form($::img{png} . ('x' x 70000)),
  "POST /api/room/$id/chat/upload\n" . ::form($::big7),
  "POST /api/room/$id/chat/upload\n" . ::form($::img{png} . ('x' x 900)),
]
--- more_headers eval: $::h7
--- error_code eval
[413, 413, 200]
--- response_body_like eval
[
  qr/^\{"error":"File too large"\}$/,
  qr/^\{"error":"File too large"\}$/,
  qr/^\{"url":"\/uploads\/chat\/[0-9a-f]{64}\.png","mime":"image\/png","size":9\d\d,"w":3,"h":2\}$/,
]



=== TEST 8: the administrator's chatUploadMaxBytes, when smaller, is the limit
--- http_config eval: $::db14_config
--- config eval: $::config
--- request eval
local $BedrudTest::DB = 14;
BedrudTest::redis_cli('HSET', 'bedrud:settings', 'chatUploadMaxBytes', '100');
my ($id, $a) = ::seated();
$::h8 = ::auth($a) . "\n$::mp";
[
  "POST /api/room/$id/chat/upload\n" . ::form($::img{png} . ('x' x 100)),
  "POST /api/room/$id/chat/upload\n" . ::form($::img{png}),
]
--- more_headers eval: $::h8
--- error_code eval
[413, 200]
--- response_body_like eval
[ qr/^\{"error":"File too large"\}$/, qr/^\{"url":/ ]



=== TEST 9: a large body goes through nginx's temporary file, read back in the thread pool
--- http_config eval: $::http_config
--- config eval: $::config
--- request eval
my ($id, $a) = ::seated();
$::h9 = ::auth($a) . "\n$::mp";
$::big9 = $::img{png} . CORE::join('', map { chr(($_ * 7) % 256) } 1 .. 300000);
"POST /api/room/$id/chat/upload\n" . ::form($::big9)
--- more_headers eval: $::h9
--- error_code: 200
--- response_body eval
::answer($::big9, 'image/png', 'png', 3, 2)
--- error_log
a client request body is buffered to a temporary file
--- no_error_log
[alert]
[crit]



=== TEST 10: the same image twice is one file; another name for it is no file
--- http_config eval: $::http_config
--- config eval: $::config
--- request eval
my ($id, $a) = ::seated();
$::h10 = ::auth($a) . "\n$::mp";
my $f = ::form($::img{gif});
my $url = ::url($::img{gif}, 'gif');
[
  "POST /api/room/$id/chat/upload\n$f",
  "POST /api/room/$id/chat/upload\n$f",
  "GET " . ($url =~ s/\.gif$/.png/r),
  "GET " . ($url =~ s/\.gif$/.gif.html/r),
  "GET /uploads/chat/../../conf/nginx.conf",
]
--- more_headers eval
[ $::h10, $::h10, '', '', '' ]
--- error_code eval
[200, 200, 404, 404, 404]
--- response_body_like eval
my $ok = ::answer($::img{gif}, 'image/gif', 'gif', 9, 4);
[ qr/^\Q$ok\E$/, qr/^\Q$ok\E$/, qr/404/, qr/404/, qr/404/ ]



=== TEST 11: not configured (no bedrud_upload_dir): 501, the body dropped
--- http_config eval: $::off_config
--- config eval: $::config
--- request eval
my ($id, $a) = ::seated();
$::h11 = ::auth($a) . "\n$::mp";
[
  "POST /api/room/$id/chat/upload\n" . ::form($::img{png}),
  "GET /api/health",
]
--- more_headers eval
[ $::h11, '' ]
--- error_code eval
[501, 200]
--- response_body_like eval
[ qr/^\{"error":"chat uploads are not configured"\}$/, qr/healthy/ ]
