#!/bin/sh
# Install httpserver as a systemd service, or upgrade an installed one (README "Running as a
# service"). Run as root from the repository folder:
#
#   sudo ./install.sh [--prefix DIR]      install or upgrade (default DIR: /opt/httpserver)
#   sudo ./install.sh --uninstall [--prefix DIR]
#
# The program: the compiled ./httpserver when `deno task compile` built it, else the source
# tree with a small launcher that runs it through `deno run` with the same flags (the deno
# binary is found on PATH, or given as DENO=/path/to/deno). An upgrade replaces the program
# and the README and leaves http.conf, www/, error/ and logs/ as they are.
set -eu

PREFIX=/opt/httpserver
UNINSTALL=0
usage() { sed -n '2,11s/^# \{0,1\}//p' "$0"; }
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) [ $# -ge 2 ] || { usage >&2; exit 2; }; PREFIX=$2; shift 2 ;;
    --prefix=*) PREFIX=${1#--prefix=}; shift ;;
    --uninstall) UNINSTALL=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "install.sh: unknown argument \"$1\"" >&2; usage >&2; exit 2 ;;
  esac
done
case "$PREFIX" in
  /*) PREFIX=${PREFIX%/} ;;
  *) echo "install.sh: --prefix must be an absolute path" >&2; exit 2 ;;
esac
[ "$(id -u)" = 0 ] || { echo "install.sh: run it as root (sudo ./install.sh)" >&2; exit 1; }

SRC=$(cd "$(dirname "$0")" && pwd)
SERVICE_USER=httpserver
UNIT=/etc/systemd/system/httpserver.service
SYSCTL=/etc/sysctl.d/60-httpserver.conf
LOGROTATE=/etc/logrotate.d/httpserver
# The flags of `deno task compile` (tests/service_test.ts checks they stay the same).
DENO_FLAGS="--unstable-net --allow-net --allow-read --allow-write --allow-env --allow-sys --allow-ffi"
# What an upgrade replaces; everything else in PREFIX belongs to the administrator.
PROGRAM="httpserver main.ts lib deno.json deno.lock deno-cache README.md"
have_systemd() { [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; }
say() { echo "install.sh: $*"; }

if [ "$UNINSTALL" = 1 ]; then
  if have_systemd; then
    systemctl disable --now httpserver.service 2>/dev/null || true
  fi
  rm -f "$UNIT" "$SYSCTL" "$LOGROTATE"
  if have_systemd; then systemctl daemon-reload; fi
  for f in $PROGRAM; do rm -rf "${PREFIX:?}/$f"; done
  say "removed the service and the program from $PREFIX"
  say "kept $PREFIX/http.conf, www/, error/, logs/ and the user $SERVICE_USER; remove them with:"
  say "  rm -r $PREFIX && userdel $SERVICE_USER"
  exit 0
fi

# The system user the service runs as.
if ! getent passwd "$SERVICE_USER" >/dev/null; then
  useradd --system --home-dir "$PREFIX" --no-create-home --shell /usr/sbin/nologin \
    --user-group "$SERVICE_USER"
  say "created the system user $SERVICE_USER"
fi
mkdir -p "$PREFIX"

# The program.
for f in $PROGRAM; do rm -rf "${PREFIX:?}/$f"; done
if [ -x "$SRC/httpserver" ] && "$SRC/httpserver" --version 2>/dev/null | grep -q '^httpserver '; then
  install -m 0755 "$SRC/httpserver" "$PREFIX/httpserver"
  say "installed the compiled program $PREFIX/httpserver"
else
  DENO=${DENO:-$(command -v deno || true)}
  [ -n "$DENO" ] || { echo "install.sh: no ./httpserver and no deno on PATH (set DENO=)" >&2; exit 1; }
  DENO=$(readlink -f "$DENO")
  case "$DENO" in
    # The service cannot see home folders (ProtectHome): bring the runtime along.
    /home/*|/root/*|/run/user/*) install -m 0755 "$DENO" "$PREFIX/deno"; DENO=$PREFIX/deno ;;
  esac
  cp -R "$SRC/main.ts" "$SRC/lib" "$SRC/deno.json" "$SRC/deno.lock" "$PREFIX/"
  find "$PREFIX/lib" -name '*_test.ts' -delete
  # The npm packages, fetched now: the service has no writable home and runs --cached-only.
  DENO_DIR="$PREFIX/deno-cache" DENO_NO_UPDATE_CHECK=1 "$DENO" cache --quiet --frozen \
    --config "$PREFIX/deno.json" "$PREFIX/main.ts" "$PREFIX/lib/server/worker_main.ts"
  cat >"$PREFIX/httpserver" <<EOF
#!/bin/sh
# httpserver from source, as \`deno task compile\` would build it (written by install.sh).
export DENO_DIR="$PREFIX/deno-cache" DENO_NO_UPDATE_CHECK=1 NO_COLOR=1
exec "$DENO" run --cached-only --config "$PREFIX/deno.json" $DENO_FLAGS "$PREFIX/main.ts" "\$@"
EOF
  chmod 0755 "$PREFIX/httpserver"
  say "installed the source tree and a launcher running $DENO"
fi
install -m 0644 "$SRC/README.md" "$PREFIX/README.md"

# The administrator's files: only when missing, so an upgrade keeps them.
if [ ! -e "$PREFIX/http.conf" ]; then
  install -m 0640 -g "$SERVICE_USER" "$SRC/http.conf" "$PREFIX/http.conf"
  say "installed $PREFIX/http.conf"
fi
for d in www error; do
  if [ ! -e "$PREFIX/$d" ]; then cp -R "$SRC/$d" "$PREFIX/$d"; fi
done
mkdir -p "$PREFIX/logs" # empty: the repository's own logs stay behind
# Writable by the service: exactly its ReadWritePaths (acme/: ACMEStorage, its user's only).
install -d -m 0700 -o "$SERVICE_USER" -g "$SERVICE_USER" "$PREFIX/acme"
chown -R "$SERVICE_USER:$SERVICE_USER" "$PREFIX/logs" "$PREFIX/www/html" "$PREFIX/acme"

# Log rotation (deploy/logrotate/httpserver), when logrotate is there.
if [ -d /etc/logrotate.d ]; then
  sed "s|/opt/httpserver|$PREFIX|g" "$SRC/deploy/logrotate/httpserver" >"$LOGROTATE"
  chmod 0644 "$LOGROTATE"
fi

# A reload moves the connections queued on the old workers to the new ones instead of
# resetting them (Linux >= 5.14).
echo "net.ipv4.tcp_migrate_req = 1" >"$SYSCTL"
sysctl -q -p "$SYSCTL" 2>/dev/null || say "could not set net.ipv4.tcp_migrate_req now (a container?); $SYSCTL sets it at boot"

if have_systemd; then
  sed "s|/opt/httpserver|$PREFIX|g" "$SRC/httpserver.service" >"$UNIT"
  chmod 0644 "$UNIT"
  systemctl daemon-reload
  systemctl enable --quiet httpserver.service
  if systemctl is-active --quiet httpserver.service; then
    systemctl restart httpserver.service
    say "restarted httpserver.service with the new program"
  else
    say "enabled httpserver.service; start it with: systemctl start httpserver"
  fi
else
  say "no systemd here: run $PREFIX/httpserver --config $PREFIX/http.conf"
fi
