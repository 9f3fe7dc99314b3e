#!/usr/bin/env bash
# Installs the station gateway on Raspberry Pi OS (64-bit) or Debian: from this source tree, or
# from a signed release bundle.
# Run as root on the box:
#   sudo deploy/install.sh                                               # build this tree
#   sudo deploy/install.sh --bundle station-gateway-1.2.0-linux-arm64.tar.gz --release-key release.public.pem
# Safe to run again (an upgrade): the configuration and the data are never overwritten.
# See docs/install.md.
set -euo pipefail

APP=/opt/station-gateway
LAUNCHER="$APP/launcher"
BUILD="$APP/build"
CONF=/etc/station
DATA=/var/lib/station
# The release layout (gateway/update/launcher/release-layout.ts): the service's own, it updates itself.
APP_ROOT="$DATA/app"
UNIT=/etc/systemd/system/station-gateway.service
RULES=/etc/udev/rules.d/99-station.rules
NODE_MIN_MAJOR=20
NODE_MIN_MINOR=11

here="$(cd "$(dirname "$0")" && pwd)"
src="$(dirname "$here")"

bundle="" release_key="" signature=""
while [ $# -gt 0 ]; do
  case "$1" in
    --bundle) bundle="$(realpath "$2")"; shift 2 ;;
    --release-key) release_key="$(realpath "$2")"; shift 2 ;;
    --signature) signature="$(realpath "$2")"; shift 2 ;;
    -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
    *) printf 'install: unknown option %s (see --help)\n' "$1" >&2; exit 2 ;;
  esac
done
if [ -n "$bundle" ] && [ -z "$release_key" ]; then printf 'install: --bundle needs --release-key\n' >&2; exit 2; fi

say() { printf 'install: %s\n' "$*"; }
die() { printf 'install: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "run as root (sudo $0)"
command -v apt-get >/dev/null || die "this script is for Raspberry Pi OS / Debian (apt-get not found)"
command -v systemctl >/dev/null || die "systemd is required"

# 1. Packages from the distribution: Node (no third-party repository on a fleet box), npm to
#    install the gateway's modules, socat for the systemd watchdog, sqlite3 for crews, openssl to
#    check a bundle's signature.
say "installing packages"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs npm socat sqlite3 ca-certificates rsync openssl >/dev/null
node_version="$(node -p 'process.versions.node')"
IFS=. read -r major minor _ <<<"$node_version"
if [ "$major" -lt "$NODE_MIN_MAJOR" ] || { [ "$major" -eq "$NODE_MIN_MAJOR" ] && [ "$minor" -lt "$NODE_MIN_MINOR" ]; }; then
  die "Node $node_version from the distribution is too old (need >= $NODE_MIN_MAJOR.$NODE_MIN_MINOR): use Debian 13 / Raspberry Pi OS based on it"
fi
say "node $node_version"

# 2. A system user with no login and no home outside its data, in the groups that own the ports.
getent group gpio >/dev/null || groupadd --system gpio
if ! id station >/dev/null 2>&1; then
  useradd --system --user-group --home-dir "$DATA" --no-create-home --shell /usr/sbin/nologin station
  say "created user station"
fi
usermod -a -G dialout,gpio station

# 3. The application: a release under the app root, committed, with the launcher beside the
#    releases (deploy/install-release.sh). From this tree it is built first, in $BUILD.
install -d -m 0750 -o station -g station "$DATA"
install -d -m 0750 -o station -g station "$APP_ROOT"
mkdir -p "$APP"
# Before releases, /opt/station-gateway was the whole built tree: keep only what this layout uses.
find "$APP" -mindepth 1 -maxdepth 1 ! -name build ! -name launcher ! -name docs -exec rm -rf {} +
if [ -n "$bundle" ]; then
  say "installing the bundle $bundle"
  "$here/install-release.sh" --app-root "$APP_ROOT" --launcher-dir "$LAUNCHER" --bundle "$bundle" --release-key "$release_key" ${signature:+--signature "$signature"}
else
  say "building the gateway in $BUILD"
  mkdir -p "$BUILD"
  rsync -a --delete --exclude .git --exclude node_modules --exclude dist --exclude .demo --exclude test-results --exclude coverage --exclude releases "$src/" "$BUILD/"
  (cd "$BUILD" && npm ci --no-audit --no-fund --loglevel=error && npm run build --silent && npm prune --omit=dev --no-audit --no-fund --loglevel=error)
  chown -R root:root "$BUILD"
  rsync -a --delete "$BUILD/docs/" "$APP/docs/"
  "$here/install-release.sh" --app-root "$APP_ROOT" --launcher-dir "$LAUNCHER" --tree "$BUILD"
fi
chown -R root:root "$LAUNCHER"
chown -R station:station "$APP_ROOT"
# Always the committed release: `current` moves with every update.
ln -sfn "$APP_ROOT/current/dist/gateway/cli/station-gateway.js" /usr/local/bin/station-gateway

# 4. Configuration (root-owned, readable by the service) and data (the service's own).
install -d -m 0750 -o root -g station "$CONF" "$CONF/secrets"
if [ ! -e "$CONF/station.yaml" ]; then
  install -m 0640 -o root -g station "$here/station.example.yaml" "$CONF/station.yaml"
  say "wrote $CONF/station.yaml from the example: edit it before starting"
fi

# 5. udev rules (stable names, group access) and the systemd unit.
install -m 0644 "$here/99-station.rules" "$RULES"
udevadm control --reload || true
udevadm trigger --subsystem-match=tty || true
install -m 0644 "$here/station-gateway.service" "$UNIT"
systemctl daemon-reload
systemctl enable station-gateway.service >/dev/null

# 6. Start only a configuration that validates; otherwise say what to do.
if runuser -u station -- station-gateway validate --config "$CONF/station.yaml"; then
  systemctl restart station-gateway.service
  say "started $(readlink "$APP_ROOT/current") under the launcher; check it with: station-gateway doctor --config $CONF/station.yaml (stop the service first: systemctl stop station-gateway)"
else
  say "not started: fix $CONF/station.yaml, then: systemctl start station-gateway"
fi
