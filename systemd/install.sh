#!/usr/bin/env bash
# Installs keypadd as a systemd service from this checkout (after `npm install`, which builds dist/).
# Idempotent: run it again to upgrade. --uninstall removes the app and the unit, and keeps config and data.
# --root DIR installs into DIR instead of / (for tests and image builds): no user, no systemctl.
set -euo pipefail

usage() { echo "usage: $0 [--root DIR] [--uninstall]"; }
ROOT=""
MODE=install
while [ $# -gt 0 ]; do
  case "$1" in
    --root) ROOT="${2:?--root needs a directory}"; shift 2 ;;
    --uninstall) MODE=uninstall; shift ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
  esac
done

SRC=$(cd "$(dirname "$0")/.." && pwd)
APP="$ROOT/opt/keypadd"
ETC="$ROOT/etc/keypadd"
UNIT="$ROOT/etc/systemd/system/keypadd.service"
DATA="$ROOT/var/lib/keypadd"
say() { echo "keypadd install: $*"; }
live() { [ -z "$ROOT" ]; }

if [ "$MODE" = uninstall ]; then
  if live && command -v systemctl >/dev/null; then systemctl disable --now keypadd 2>/dev/null || true; fi
  rm -f "$UNIT"
  rm -rf "$APP"
  if live && command -v systemctl >/dev/null; then systemctl daemon-reload; fi
  say "removed the app and the unit; kept $ETC (config, credentials) and $DATA (database)."
  say "to remove those too: rm -rf $ETC $DATA; userdel keypadd"
  exit 0
fi

[ -f "$SRC/dist/cli/main.js" ] || { echo "keypadd install: $SRC/dist is missing: run \`npm install\` in $SRC first" >&2; exit 1; }
node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)' ||
  { echo "keypadd install: Node >= 20.19 is needed (found $(node --version))" >&2; exit 1; }

# The service user: no login, no home; GPIO and serial access through groups.
if live; then
  if ! id keypadd >/dev/null 2>&1; then
    useradd --system --home-dir /var/lib/keypadd --no-create-home --shell /usr/sbin/nologin keypadd
    say "created user keypadd"
  fi
  for g in gpio dialout; do
    if getent group "$g" >/dev/null; then usermod -aG "$g" keypadd; else say "no group $g on this system (not a Raspberry Pi OS image?)"; fi
  done
fi

# The app, with production dependencies only.
mkdir -p "$APP"
rm -rf "$APP/dist" "$APP/bin"
cp -a "$SRC/package.json" "$SRC/package-lock.json" "$SRC/bin" "$SRC/dist" "$SRC/hardware" "$SRC/systemd" "$APP/"
mkdir -p "$APP/src/core" && cp "$SRC/src/core/common-pins.txt" "$APP/src/core/"
if [ -d "$SRC/node_modules/better-sqlite3/build" ]; then
  # The checkout's modules are built for this machine: copy them and drop the development ones (no network).
  rm -rf "$APP/node_modules"
  cp -a "$SRC/node_modules" "$APP/node_modules"
  (cd "$APP" && npm prune --omit=dev --ignore-scripts --no-audit --no-fund >/dev/null)
else
  if ! (cd "$APP" && npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm rebuild better-sqlite3 epoll @serialport/bindings-cpp); then
    echo "keypadd install: building the native modules failed. Without a prebuilt binary they build from source and need:" >&2
    echo "  apt-get install -y python3 make g++" >&2
    exit 1
  fi
fi
say "installed the app in $APP"

# Configuration: an example the first time only; never overwritten.
mkdir -p "$ETC"
if [ ! -f "$ETC/config.yaml" ]; then
  cp "$SRC/systemd/config.example.yaml" "$ETC/config.yaml"
  say "wrote an example $ETC/config.yaml: edit it for your doors (hardware/README.md)"
fi

# Credentials for LoadCredential=: the PIN key (from an existing data dir, or new), MQTT password, upstream token.
install -d -m 0700 "$ETC/credentials"
if [ ! -s "$ETC/credentials/pin-key" ]; then
  if [ -s "$DATA/pin.key" ]; then
    install -m 0600 "$DATA/pin.key" "$ETC/credentials/pin-key"
    say "moved the existing PIN key into $ETC/credentials/pin-key"
  else
    (umask 077 && node -e 'process.stdout.write(require("crypto").randomBytes(32).toString("hex") + "\n")' > "$ETC/credentials/pin-key")
    say "made a new PIN key: back up $ETC/credentials/pin-key with the database"
  fi
fi
for c in mqtt-password upstream-token; do
  [ -e "$ETC/credentials/$c" ] || install -m 0600 /dev/null "$ETC/credentials/$c"
done
chmod 0600 "$ETC/credentials/"*

# The admin CLI runs as keypadd (sudo -u keypadd keypadd ...): it may read the config and the PIN key, nothing else.
if live; then
  chown root:keypadd "$ETC" "$ETC/config.yaml" "$ETC/credentials" "$ETC/credentials/pin-key"
  chmod 0750 "$ETC" "$ETC/credentials"
  chmod 0640 "$ETC/config.yaml" "$ETC/credentials/pin-key"
  ln -sf "$APP/bin/keypadd" /usr/local/bin/keypadd
fi

install -D -m 0644 "$SRC/systemd/keypadd.service" "$UNIT"
if live && command -v systemctl >/dev/null; then
  systemctl daemon-reload
  systemctl enable --now keypadd
  say "keypadd is enabled and started: check it with  keypadd doctor  and  journalctl -u keypadd -f"
else
  say "unit installed at $UNIT (not started: --root)"
fi
