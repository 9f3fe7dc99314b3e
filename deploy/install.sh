#!/usr/bin/env bash
# Installs the station gateway on Raspberry Pi OS (64-bit) or Debian, from this source tree.
# Run as root on the box:  sudo deploy/install.sh
# Safe to run again (an upgrade): the configuration and the data are never overwritten.
# See docs/install.md.
set -euo pipefail

APP=/opt/station-gateway
CONF=/etc/station
DATA=/var/lib/station
UNIT=/etc/systemd/system/station-gateway.service
RULES=/etc/udev/rules.d/99-station.rules
NODE_MIN_MAJOR=20
NODE_MIN_MINOR=11

here="$(cd "$(dirname "$0")" && pwd)"
src="$(dirname "$here")"

say() { printf 'install: %s\n' "$*"; }
die() { printf 'install: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "run as root (sudo $0)"
command -v apt-get >/dev/null || die "this script is for Raspberry Pi OS / Debian (apt-get not found)"
command -v systemctl >/dev/null || die "systemd is required"

# 1. Packages from the distribution: Node (no third-party repository on a fleet box), npm to
#    install the gateway's modules, socat for the systemd watchdog, sqlite3 for crews.
say "installing packages"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs npm socat sqlite3 ca-certificates rsync >/dev/null
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

# 3. The application, built in place and pruned to what runs.
say "installing the gateway into $APP"
mkdir -p "$APP"
rsync -a --delete --exclude .git --exclude node_modules --exclude dist --exclude .demo --exclude test-results --exclude coverage "$src/" "$APP/"
(cd "$APP" && npm ci --no-audit --no-fund --loglevel=error && npm run build --silent && npm prune --omit=dev --no-audit --no-fund --loglevel=error)
chown -R root:root "$APP"
ln -sf "$APP/dist/gateway/cli/station-gateway.js" /usr/local/bin/station-gateway
chmod 755 "$APP/dist/gateway/cli/station-gateway.js"

# 4. Configuration (root-owned, readable by the service) and data (the service's own).
install -d -m 0750 -o root -g station "$CONF" "$CONF/secrets"
if [ ! -e "$CONF/station.yaml" ]; then
  install -m 0640 -o root -g station "$here/station.example.yaml" "$CONF/station.yaml"
  say "wrote $CONF/station.yaml from the example: edit it before starting"
fi
install -d -m 0750 -o station -g station "$DATA"

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
  say "started; check it with: station-gateway doctor --config $CONF/station.yaml (stop the service first: systemctl stop station-gateway)"
else
  say "not started: fix $CONF/station.yaml, then: systemctl start station-gateway"
fi
