#!/usr/bin/env bash
# Installs keypadd as a systemd service from this checkout (after `npm install`, which builds dist/).
# Idempotent: run it again to upgrade; the running service is restarted on the new files. --uninstall removes the
# app, the unit and the keypadd command, and keeps config and data.
# --root DIR installs into DIR instead of / (for tests and image builds): no user, no systemctl.
# --web-cert makes a self-signed certificate for the console's HTTPS (kept on later runs), and says how to use it.
set -euo pipefail

usage() { echo "usage: $0 [--root DIR] [--web-cert] [--uninstall]"; }
ROOT=""
MODE=install
WEB_CERT=no
while [ $# -gt 0 ]; do
  case "$1" in
    --root) ROOT="${2:?--root needs a directory}"; shift 2 ;;
    --uninstall) MODE=uninstall; shift ;;
    --web-cert) WEB_CERT=yes; shift ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
  esac
done

SRC=$(cd "$(dirname "$0")/.." && pwd)
APP="$ROOT/opt/keypadd"
ETC="$ROOT/etc/keypadd"
UNIT="$ROOT/etc/systemd/system/keypadd.service"
DATA="$ROOT/var/lib/keypadd"
MODULES="$ROOT/etc/modules-load.d/keypadd.conf"
KEY="$ETC/credentials/pin-key"
COMMAND=/usr/local/bin/keypadd
say() { echo "keypadd install: $*"; }
die() { echo "keypadd install: $*" >&2; exit 1; }
live() { [ -z "$ROOT" ]; }
have_systemctl() { live && command -v systemctl >/dev/null; }

if [ "$MODE" = uninstall ]; then
  if have_systemctl; then systemctl disable --now keypadd 2>/dev/null || true; fi
  rm -f "$UNIT" "$MODULES"
  rm -rf "$APP" "$APP.new" "$APP.old"
  # Only the link this script made: a keypadd installed some other way is not ours to remove.
  if live && [ -L "$COMMAND" ] && [ "$(readlink "$COMMAND")" = "$APP/bin/keypadd" ]; then rm -f "$COMMAND"; fi
  if have_systemctl; then systemctl daemon-reload; fi
  say "removed the app, the unit, the keypadd command and $MODULES; kept $ETC (config, credentials) and $DATA (database)."
  say "to remove those too: rm -rf $ETC $DATA; userdel keypadd"
  exit 0
fi

[ -f "$SRC/dist/cli/main.js" ] || die "$SRC/dist is missing: run \`npm install\` in $SRC first"

# The service runs the `node` it finds on systemd's PATH (bin/keypadd starts with #!/usr/bin/env node), which need
# not be this shell's. One under a home directory (nvm) cannot run under ProtectHome=yes: the unit would fail with
# status 126 in a restart loop. Refuse it here, with the fix.
NODE=node
if live; then
  svc_path=$(systemctl show-environment 2>/dev/null | sed -n 's/^PATH=//p' || true)
  svc_path=${svc_path:-/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin}
  NODE=$(PATH=$svc_path command -v node) ||
    die "the service looks for node on $svc_path and finds none (this shell's is $(command -v node || echo 'missing')): install Node >= 20.19 system-wide (NodeSource's packages put it in /usr/bin)"
  real=$(readlink -f "$NODE")
  case "$real" in
    /home/*|/root/*|/run/user/*)
      die "the service would run $NODE, which is $real: ProtectHome=yes hides /home, /root and /run/user from the service, so it would fail (status 126). Install Node >= 20.19 system-wide (NodeSource's packages put it in /usr/bin), or put a copy outside the home directory:  sudo rm $NODE && sudo cp $real $NODE" ;;
  esac
fi
"$NODE" -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)' ||
  die "Node >= 20.19 is needed ($NODE is $("$NODE" --version))"

# The service user: no login, no home; GPIO and serial access through groups. The unit's SupplementaryGroups= needs
# both groups to exist, or systemd refuses to start it (216/GROUP): plain Debian has no gpio group.
if live; then
  if ! id keypadd >/dev/null 2>&1; then
    useradd --system --home-dir /var/lib/keypadd --no-create-home --shell /usr/sbin/nologin keypadd
    say "created user keypadd"
  fi
  for g in gpio dialout; do
    if ! getent group "$g" >/dev/null; then
      groupadd --system "$g"
      say "created group $g (the unit needs it; Raspberry Pi OS has it already)"
    fi
    usermod -aG "$g" keypadd
  done
fi

# The app, with production dependencies only, built beside the installed one and then swapped in whole: a running
# service never loads a half-copied file, and it is restarted on the new app at the end.
rm -rf "$APP.new" "$APP.old"
mkdir -p "$APP.new"
cp -a "$SRC/package.json" "$SRC/package-lock.json" "$SRC/bin" "$SRC/dist" "$SRC/hardware" "$SRC/systemd" "$APP.new/"
mkdir -p "$APP.new/src/core" && cp "$SRC/src/core/common-pins.txt" "$APP.new/src/core/"
if [ -d "$SRC/node_modules/better-sqlite3/build" ]; then
  # The checkout's modules are built for this machine: copy them and drop the development ones (no network).
  cp -a "$SRC/node_modules" "$APP.new/node_modules"
  (cd "$APP.new" && npm prune --omit=dev --ignore-scripts --no-audit --no-fund >/dev/null)
else
  if ! (cd "$APP.new" && npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm rebuild better-sqlite3 epoll @serialport/bindings-cpp); then
    echo "keypadd install: building the native modules failed. Without a prebuilt binary they build from source and need:" >&2
    echo "  apt-get install -y python3 make g++" >&2
    exit 1
  fi
fi
if [ -d "$APP" ]; then mv "$APP" "$APP.old"; fi
mv "$APP.new" "$APP"
say "installed the app in $APP"

# Configuration: an example the first time only; never overwritten.
mkdir -p "$ETC"
if [ ! -f "$ETC/config.yaml" ]; then
  cp "$SRC/systemd/config.example.yaml" "$ETC/config.yaml"
  say "wrote an example $ETC/config.yaml: edit it for your doors (hardware/README.md)"
fi

# Credentials for LoadCredential=: the PIN key (from an existing data dir, or new), MQTT password, upstream token.
# An existing data dir's key is moved, not copied: a second copy of the secret is one more to leak. It stays only
# while the config does not name the credential, because the admin CLI would then look for it in the data dir.
install -d -m 0700 "$ETC/credentials"
names_key() { grep -Eq "^pin_key_file:[[:space:]]*[\"']?/etc/keypadd/credentials/pin-key[\"']?[[:space:]]*(#.*)?$" "$ETC/config.yaml"; }
if [ -s "$DATA/pin.key" ]; then
  copied=no
  if [ ! -s "$KEY" ]; then
    install -m 0600 "$DATA/pin.key" "$KEY" && sync "$KEY"
    copied=yes
  fi
  if ! cmp -s "$DATA/pin.key" "$KEY"; then
    say "WARNING: $DATA/pin.key differs from $KEY, which the service uses; both kept (keypadd doctor says whether the database matches)"
  elif names_key; then
    rm -f "$DATA/pin.key"
    if [ $copied = yes ]; then say "moved the existing PIN key $DATA/pin.key to $KEY"; else say "removed $DATA/pin.key, a second copy of $KEY"; fi
  else
    say "kept $DATA/pin.key, a copy of $KEY: $ETC/config.yaml has no pin_key_file, and the admin CLI reads the key there without it. Add  pin_key_file: /etc/keypadd/credentials/pin-key  and run this again to remove it"
  fi
elif [ ! -s "$KEY" ]; then
  (umask 077 && "$NODE" -e 'process.stdout.write(require("crypto").randomBytes(32).toString("hex") + "\n")' > "$KEY")
  say "made a new PIN key: back up $KEY with the database"
fi
for c in mqtt-password upstream-token; do
  [ -e "$ETC/credentials/$c" ] || install -m 0600 /dev/null "$ETC/credentials/$c"
done
chmod 0600 "$ETC/credentials/"*

# The console's certificate: self-signed for this machine's names (a browser asks once to trust it), EC P-256,
# 825 days (the most browsers accept). Kept when it exists: a new one would make every browser ask again.
if [ "$WEB_CERT" = yes ]; then
  CERT="$ETC/credentials/web-cert.pem"
  CERT_KEY="$ETC/credentials/web-key.pem"
  if [ -s "$CERT" ] && [ -s "$CERT_KEY" ]; then
    say "kept the console's certificate $CERT"
  else
    command -v openssl >/dev/null || die "--web-cert needs openssl (apt install openssl)"
    host=$(hostname -s 2>/dev/null || hostname)
    san="DNS:$host,DNS:$host.local,DNS:localhost,IP:127.0.0.1"
    for ip in $(hostname -I 2>/dev/null || true); do case "$ip" in *:*) ;; *) san="$san,IP:$ip" ;; esac; done
    (umask 077 && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 825 -subj "/CN=$host" \
      -addext "subjectAltName=$san" -addext "extendedKeyUsage=serverAuth" -keyout "$CERT_KEY" -out "$CERT" 2>/dev/null) ||
      die "openssl could not make the console's certificate"
    say "made a self-signed certificate for the console ($san): $CERT"
  fi
  say "to serve the console over HTTPS, set in $ETC/config.yaml:  web: { enabled: true, listen: 0.0.0.0:8443, tls: { cert_file: $CERT, key_file: $CERT_KEY } }"
fi

# USB serial keypads: the unit's DeviceAllow=char-ttyUSB/char-ttyACM are resolved to device majors when the service
# starts, so an adapter whose driver loads later is refused (EPERM) until a restart. Load the drivers at boot.
mkdir -p "$(dirname "$MODULES")"
printf '# USB serial keypad drivers, loaded at boot before keypadd.service starts (written by keypadd install.sh)\nusbserial\ncdc_acm\n' > "$MODULES"
if live && command -v modprobe >/dev/null; then modprobe -q -a usbserial cdc_acm 2>/dev/null || true; fi

# The admin CLI runs as keypadd (sudo -u keypadd keypadd ...): it may read the config and the PIN key, nothing else.
if live; then
  chown root:keypadd "$ETC" "$ETC/config.yaml" "$ETC/credentials" "$KEY"
  chmod 0750 "$ETC" "$ETC/credentials"
  chmod 0640 "$ETC/config.yaml" "$KEY"
  # The daemon reads the console's certificate itself (web.tls), as the keypadd user (on every run: the chmod of the
  # credentials above would otherwise hide a certificate an earlier --web-cert made).
  for f in "$ETC/credentials/web-cert.pem" "$ETC/credentials/web-key.pem"; do
    if [ -e "$f" ]; then chown root:keypadd "$f" && chmod 0640 "$f"; fi
  done
  ln -sf "$APP/bin/keypadd" "$COMMAND"
fi

install -D -m 0644 "$SRC/systemd/keypadd.service" "$UNIT"
if have_systemctl; then
  systemctl daemon-reload
  systemctl enable keypadd
  # restart, not start: after an upgrade the old daemon must not go on running the old app. reset-failed first, so
  # that earlier failures (the start limit) do not refuse this start.
  systemctl reset-failed keypadd 2>/dev/null || true
  if ! systemctl restart keypadd; then
    rm -rf "$APP.old"
    die "installed, but keypadd did not start. journalctl -u keypadd -b -p err says why (with the example config on a machine without GPIO: edit $ETC/config.yaml), then: systemctl restart keypadd"
  fi
  say "keypadd is enabled and running: check it with  keypadd doctor  and  journalctl -u keypadd -f"
else
  say "unit installed at $UNIT (not started: --root)"
fi
rm -rf "$APP.old"
