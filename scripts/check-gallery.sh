#!/usr/bin/env bash
# Opens the lecture gallery (make demo's out/index.html) in headless Chromium at a
# 1024-pixel-wide window and checks what a lecturer would see: every image loaded (each
# <img> complete with a real width), the table of contents lists the six parts of the
# lecture, every figure has an anchor the contents or its part can link to, and nothing
# is wider than the window (the page does not scroll sideways, no command block scrolls
# inside itself). A copy of the page with a checking script appended is loaded from the
# gallery's own directory (so the images resolve as they do for a reader), its verdict
# read back from the DOM Chromium dumps; the copy is removed. Prints one line per
# failure and a summary; exits 1 when anything failed, 2 on bad usage, 3 without
# Chromium. Usage: check-gallery.sh out/index.html [WIDTH]
set -uo pipefail
if [ $# -lt 1 ] || [ "$1" = --help ]; then
    sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'
    [ $# -ge 1 ] && exit 0 || exit 2
fi
page=$1
width=${2:-1024}
[ -f "$page" ] || { echo "check-gallery: $page: no such file" >&2; exit 2; }
browser=""
for b in chromium chromium-browser google-chrome; do
    command -v "$b" >/dev/null 2>&1 && { browser=$b; break; }
done
[ -n "$browser" ] || { echo "check-gallery: no chromium (scripts/deps.sh installs it)" >&2; exit 3; }

dir=$(cd "$(dirname "$page")" && pwd)
copy="$dir/.gallery-check-$$.html"
profile=$(mktemp -d) || exit 3
trap 'rm -rf "$profile" "$copy"' EXIT
# The verdict, as lines "CHECK key value" in a <pre id="gallery-check"> after the load
# event (every image has loaded or failed by then).
cat "$page" - >"$copy" <<'EOF'
<script>
window.addEventListener('load', function () {
  var out = [], W = document.documentElement.clientWidth;
  var imgs = Array.prototype.slice.call(document.images);
  out.push('CHECK images ' + imgs.length);
  imgs.forEach(function (i) {
    if (!(i.complete && i.naturalWidth > 0)) out.push('CHECK broken ' + i.getAttribute('src'));
  });
  if (document.documentElement.scrollWidth > W)
    out.push('CHECK overflow page ' + document.documentElement.scrollWidth + ' exceeds ' + W);
  Array.prototype.forEach.call(document.querySelectorAll('body *'), function (e) {
    var r = e.getBoundingClientRect();
    if (r.width > 0 && r.right > W + 1)
      out.push('CHECK overflow ' + e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') +
               ' right edge ' + Math.round(r.right) + ' exceeds ' + W);
    if ((e.tagName === 'PRE' || e.tagName === 'CODE') && e.scrollWidth > e.clientWidth + 1)
      out.push('CHECK overflow ' + e.tagName.toLowerCase() + ' scrolls ' + e.scrollWidth +
               ' exceeds ' + e.clientWidth + ': ' + e.textContent.slice(0, 60));
  });
  var parts = document.querySelectorAll('nav#contents > ol > li');
  out.push('CHECK parts ' + parts.length);
  Array.prototype.forEach.call(parts, function (li) {
    out.push('CHECK part ' + li.textContent.split('\n')[0].trim().slice(0, 70));
  });
  Array.prototype.forEach.call(document.querySelectorAll('figure'), function (f) {
    if (!f.id) out.push('CHECK anchorless figure ' + (f.querySelector('img') || {}).src);
  });
  Array.prototype.forEach.call(document.querySelectorAll('a[href^="#"]'), function (a) {
    if (!document.getElementById(a.getAttribute('href').slice(1)))
      out.push('CHECK dangling link ' + a.getAttribute('href'));
  });
  var pre = document.createElement('pre');
  pre.id = 'gallery-check';
  pre.textContent = '\n' + out.join('\n') + '\nCHECK done\n';
  document.body.appendChild(pre);
});
</script>
EOF
dom=$("$browser" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$profile" --window-size="$width,800" --virtual-time-budget=10000 \
    --dump-dom "file://$copy" 2>/dev/null)
verdict=$(printf '%s\n' "$dom" | sed -n 's/^CHECK //p')
fails=0
fail() { echo "check-gallery: $*" >&2; fails=$((fails + 1)); }
grep -qx done <<<"$verdict" || fail "$page: Chromium gave no verdict (the checking script did not run)"
images=$(sed -n 's/^images //p' <<<"$verdict")
parts=$(sed -n 's/^parts //p' <<<"$verdict")
[ "${images:-0}" -gt 0 ] || fail "$page: no images"
while read -r line; do
    case $line in
    broken*) fail "$page: image did not load: ${line#broken }" ;;
    overflow*) fail "$page at $width px: wider than the window: ${line#overflow }" ;;
    anchorless*) fail "$page: a figure without an id: ${line#anchorless figure }" ;;
    dangling*) fail "$page: a link to nothing: ${line#dangling link }" ;;
    esac
done <<<"$verdict"
[ "${parts:-0}" = 6 ] || fail "$page: the contents list ${parts:-0} parts, not the lecture's six"
if [ "$fails" -gt 0 ]; then
    echo "check-gallery: $page: $fails problem(s)" >&2
    exit 1
fi
echo "check-gallery: $page: ${images} images loaded, contents by the lecture's 6 parts, nothing wider than $width px"
