#!/bin/bash
# Builds botstatsd_<version>_<arch>.deb from what `make release` built, with Debian's own tools:
# `make install` into a staging tree, dpkg-shlibdeps for Depends, dpkg-deb to pack, lintian to
# check (installed on the way when missing and we may).
#   packaging/build-deb.sh OUTPUT_DIR VERSION
set -euo pipefail
OUT=$(mkdir -p "$1" && cd "$1" && pwd)
VERSION=$2
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/.." && pwd)
ARCH=$(dpkg --print-architecture)
STAGE=$OUT/stage
PACKAGE=$OUT/botstatsd_${VERSION}_${ARCH}.deb
rm -rf "$STAGE" && mkdir -p "$STAGE/DEBIAN"

make -C "$SRC" --no-print-directory install PREFIX=/usr DESTDIR="$STAGE" >/dev/null
DOC=$STAGE/usr/share/doc/botstatsd
# Debian keeps licences in /usr/share/common-licenses and the package's terms in copyright.
rm -f "$DOC/LICENSE"
install -m 0644 "$HERE/copyright" "$DOC/copyright"
sed -e "s/@VERSION@/$VERSION/" -e "s/@DATE@/$(date -R -d "$(git -C "$SRC" log -1 --format=%cI 2>/dev/null || date -Is)")/" \
	"$HERE/changelog.in" | gzip -9n > "$DOC/changelog.gz"
gzip -9n "$DOC/CHANGELOG.md"
find "$STAGE/usr/share/man" -type f -exec gzip -9n {} +
# Why lintian's remaining complaints are expected, shipped where lintian finds them.
install -d "$STAGE/usr/share/lintian/overrides"
install -m 0644 "$HERE/lintian-overrides" "$STAGE/usr/share/lintian/overrides/botstatsd"
# Examples are documentation: not executable where they stand.
find "$DOC/examples" -type f -exec chmod 0644 {} +

# Depends from what the binaries link (libc6, libsystemd0, libstdc++6, …), as debhelper would.
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/debian"
printf 'Source: botstatsd\n\nPackage: botstatsd\nArchitecture: any\n' > "$WORK/debian/control"
SHLIBS=$(cd "$WORK" && dpkg-shlibdeps -O -e "$STAGE/usr/bin/botstatsd" -e "$STAGE/usr/bin/botstatsctl" 2>/dev/null \
	| sed -n 's/^shlibs:Depends=//p')
SIZE=$(du -sk --exclude=DEBIAN "$STAGE" | cut -f1)
sed -e "s/@VERSION@/$VERSION/" -e "s/@ARCH@/$ARCH/" -e "s/@DEPENDS@/$SHLIBS/" -e "s/@SIZE@/$SIZE/" \
	"$HERE/control.in" > "$STAGE/DEBIAN/control"
echo /etc/botstatsd/botstatsd.toml > "$STAGE/DEBIAN/conffiles"
for script in postinst prerm postrm; do install -m 0755 "$HERE/$script" "$STAGE/DEBIAN/$script"; done

dpkg-deb --root-owner-group -Zxz --build "$STAGE" "$PACKAGE" >/dev/null
rm -rf "$STAGE"
echo "built $PACKAGE ($(du -h "$PACKAGE" | cut -f1))"

if ! command -v lintian >/dev/null && [ "$(id -u)" = 0 ]; then
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends lintian >/dev/null
fi
if command -v lintian >/dev/null; then
	# Errors fail the build; warnings are printed for a person to read.
	lintian --fail-on error "$PACKAGE" || {
		echo "lintian found errors in $PACKAGE"; exit 1; }
	echo "lintian: no errors"
else
	echo "lintian is not installed (run as root to install it); the package was not checked"
fi
